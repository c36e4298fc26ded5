//! Static checks of a rule's CEL: it compiles, and every field path it reads exists in the
//! facts schema (walking the expression tree). Also splits `message` templates. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use cel::Program;
use cel::common::ast::{EntryExpr, Expr};
use cel::parser::Expression;

use super::shape::Shape;

/// Top-level names an expression may use besides the facts' keys.
pub const EXTRA_VARS: &[&str] = &["it", "params", "as_of"];

/// One problem found in an expression, at a byte offset inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprProblem {
    pub offset: usize,
    pub message: String,
    pub help: Option<String>,
}

/// Compile CEL; on failure, the parser's messages with the offset of the first.
pub fn compile(src: &str) -> Result<Program, ExprProblem> {
    match std::panic::catch_unwind(|| Program::compile(src)) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(errs)) => {
            let first = errs.errors.first();
            let offset = first
                .map(|e| {
                    let (line, col) = (e.pos.0.max(1) as usize, e.pos.1.max(0) as usize);
                    src.split_inclusive('\n').take(line - 1).map(str::len).sum::<usize>() + col
                })
                .unwrap_or(0);
            let msg = errs.errors.iter().map(|e| e.msg.clone()).collect::<Vec<_>>().join("; ");
            Err(ExprProblem {
                offset: offset.min(src.len()),
                message: format!("CEL does not compile: {msg}"),
                help: None,
            })
        }
        Err(_) => Err(ExprProblem {
            offset: 0,
            message: "CEL does not compile (the parser gave up on this expression)".into(),
            help: None,
        }),
    }
}

/// Checks field paths of `program` against the facts shape.
pub struct PathChecker<'a> {
    pub facts: &'a Shape,
    /// Shape bound to `it` (the element of `each`), if the rule has one.
    pub it: Option<&'a Shape>,
    /// Known parameters, as an object shape (see [`params_shape`]).
    pub params: &'a Shape,
}

/// The shape of `params`: one scalar per declared parameter.
pub fn params_shape(params: &BTreeMap<String, super::model::ParamDef>) -> Shape {
    Shape::Object(params.keys().map(|k| (k.clone(), Shape::Scalar)).collect())
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct PathReport {
    pub problems: Vec<ExprProblem>,
    pub params_read: BTreeSet<String>,
}

impl<'a> PathChecker<'a> {
    pub fn check(&self, program: &Program) -> PathReport {
        let mut report = PathReport::default();
        let mut scope: Vec<(String, &Shape)> = Vec::new();
        let info = program.source_info();
        let offset = |id: u64| info.offset_for(id).map(|(s, _)| s as usize).unwrap_or(0);
        self.walk(program.expression(), &mut scope, &mut report, &offset);
        report
    }

    fn root(&self, name: &str, scope: &[(String, &'a Shape)]) -> Option<&'a Shape> {
        static SCALAR: Shape = Shape::Scalar;
        if let Some((_, s)) = scope.iter().rev().find(|(n, _)| n == name) {
            return Some(s);
        }
        match name {
            "it" => self.it,
            "as_of" => Some(&SCALAR),
            "params" => Some(self.params),
            _ => self.facts.field(name).ok(),
        }
    }

    /// Walks `e`, returning its shape when it is a path into the facts.
    fn walk(
        &self,
        e: &Expression,
        scope: &mut Vec<(String, &'a Shape)>,
        rep: &mut PathReport,
        off: &dyn Fn(u64) -> usize,
    ) -> Option<&'a Shape> {
        match &e.expr {
            Expr::Ident(name) => {
                let s = self.root(name, scope);
                if s.is_none() {
                    let mut known: Vec<String> = match self.facts {
                        Shape::Object(f) => f.keys().cloned().collect(),
                        _ => vec![],
                    };
                    if self.it.is_some() {
                        known.push("it".into());
                    }
                    known.extend(["params".to_string(), "as_of".to_string()]);
                    let help = if name == "it" {
                        Some("`it` exists only in a rule with `each = \"...\"`".to_string())
                    } else {
                        Some(format!("known variables: {}", known.join(", ")))
                    };
                    rep.problems.push(ExprProblem {
                        offset: off(e.id),
                        message: format!("unknown variable `{name}`"),
                        help,
                    });
                }
                s
            }
            Expr::Select(sel) => {
                let base = self.walk(&sel.operand, scope, rep, off)?;
                // Record parameter reads.
                if let Expr::Ident(n) = &sel.operand.expr
                    && n == "params"
                    && !scope.iter().any(|(s, _)| s == "params")
                {
                    rep.params_read.insert(sel.field.clone());
                }
                match base.field(&sel.field) {
                    Ok(s) => Some(s),
                    Err(known) => {
                        let what = path_text(&sel.operand).unwrap_or_else(|| "this value".into());
                        let help = if known.is_empty() {
                            Some(format!("`{what}` has no fields (it is a list or a scalar)"))
                        } else {
                            Some(format!("fields of `{what}`: {}", known.join(", ")))
                        };
                        let message = if what == "params" {
                            format!("unknown parameter `{}`", sel.field)
                        } else {
                            format!("`{what}.{}` is not in the facts schema", sel.field)
                        };
                        rep.problems.push(ExprProblem {
                            offset: off(e.id),
                            message,
                            help,
                        });
                        None
                    }
                }
            }
            Expr::Call(call) => {
                let target = call.target.as_ref().and_then(|t| self.walk(t, scope, rep, off));
                let args: Vec<Option<&Shape>> = call.args.iter().map(|a| self.walk(a, scope, rep, off)).collect();
                if call.func_name == "_[_]" {
                    static ANY: Shape = Shape::Any;
                    return match args.first().copied().flatten() {
                        Some(Shape::List(el)) | Some(Shape::Map(el)) => Some(el),
                        Some(Shape::Object(_)) | Some(Shape::Any) => Some(&ANY),
                        _ => None,
                    };
                }
                let _ = target;
                None
            }
            Expr::Comprehension(c) => {
                let range = self.walk(&c.iter_range, scope, rep, off);
                static ANY: Shape = Shape::Any;
                static SCALAR: Shape = Shape::Scalar;
                let el: &Shape = match range {
                    Some(Shape::List(el)) => el,
                    Some(Shape::Map(_)) => &SCALAR,
                    _ => &ANY,
                };
                self.walk(&c.accu_init, scope, rep, off);
                scope.push((c.iter_var.clone(), el));
                if let Some(v2) = &c.iter_var2 {
                    scope.push((v2.clone(), &ANY));
                }
                scope.push((c.accu_var.clone(), &ANY));
                self.walk(&c.loop_cond, scope, rep, off);
                self.walk(&c.loop_step, scope, rep, off);
                self.walk(&c.result, scope, rep, off);
                scope.pop();
                if c.iter_var2.is_some() {
                    scope.pop();
                }
                scope.pop();
                None
            }
            Expr::List(l) => {
                for x in &l.elements {
                    self.walk(x, scope, rep, off);
                }
                None
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        self.walk(&me.key, scope, rep, off);
                        self.walk(&me.value, scope, rep, off);
                    }
                }
                None
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        self.walk(&f.value, scope, rep, off);
                    }
                }
                None
            }
            Expr::Literal(_) | Expr::Unspecified => None,
        }
    }
}

fn path_text(e: &Expression) -> Option<String> {
    match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        Expr::Select(s) => Some(format!("{}.{}", path_text(&s.operand)?, s.field)),
        _ => None,
    }
}

/// A piece of a `message` template.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    /// A CEL expression and its byte offset in the template.
    Expr(String, usize),
}

/// Split `accepts TLS {{ it.tls.min_version }}` into text and expressions.
pub fn split_template(t: &str) -> Result<Vec<Segment>, ExprProblem> {
    let mut out = Vec::new();
    let mut rest = t;
    let mut base = 0;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Segment::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(ExprProblem {
                offset: base + start,
                message: "`{{` without a closing `}}` in message".into(),
                help: Some("write {{ expression }}".into()),
            });
        };
        let expr = after[..end].trim();
        if expr.is_empty() {
            return Err(ExprProblem {
                offset: base + start,
                message: "empty `{{ }}` in message".into(),
                help: None,
            });
        }
        let lead = after[..end].len() - after[..end].trim_start().len();
        out.push(Segment::Expr(expr.to_string(), base + start + 2 + lead));
        let consumed = start + 2 + end + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str, each: Option<&str>) -> PathReport {
        let facts = Shape::facts();
        let it = each.and_then(|p| match facts.path(p) {
            Some(Shape::List(el)) => Some(el.as_ref()),
            _ => None,
        });
        let mut params = BTreeMap::new();
        params.insert(
            "min_tls".to_string(),
            super::super::model::ParamDef {
                default: "1.2".into(),
                floor: None,
                stricter: None,
                description: None,
                pack: "x".into(),
            },
        );
        let ps = params_shape(&params);
        let pc = PathChecker {
            facts: &facts,
            it,
            params: &ps,
        };
        pc.check(&compile(src).unwrap())
    }

    #[test]
    fn good_paths_pass() {
        let r = check(
            "it.tls.versions.tls1_0 == false && it.tls.ciphers.all(c, c.bits >= 128) && params.min_tls == '1.2'",
            Some("endpoints"),
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.params_read.contains("min_tls"));
    }

    #[test]
    fn typo_is_named_with_offset() {
        let src = "it.tls.versoins.tls1_0 == false";
        let r = check(src, Some("endpoints"));
        assert_eq!(r.problems.len(), 1);
        assert!(
            r.problems[0].message.contains("it.tls.versoins"),
            "{}",
            r.problems[0].message
        );
        assert!(r.problems[0].help.as_deref().unwrap().contains("versions"));
    }

    #[test]
    fn comprehension_vars_are_typed() {
        let r = check("it.tls.ciphers.exists(c, c.bitz < 128)", Some("endpoints"));
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let r = check("evidence.soc2.exists(s, s.type == 'type2')", None);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn unknown_variables_and_params() {
        let r = check("endpoint.size() > 0", None);
        assert!(r.problems[0].message.contains("unknown variable `endpoint`"));
        let r = check("params.nope > 1", None);
        assert!(r.problems[0].message.contains("unknown parameter `nope`"));
        let r = check("it.url != ''", None);
        assert!(r.problems[0].help.as_deref().unwrap().contains("each"));
    }

    #[test]
    fn bad_cel_is_reported() {
        assert!(compile("it.url ==").is_err());
        assert!(compile("(((").is_err());
    }

    #[test]
    fn templates_split() {
        let s = split_template("accepts TLS {{ it.tls.min_version }} only").unwrap();
        assert_eq!(s.len(), 3);
        assert!(matches!(&s[1], Segment::Expr(e, 15) if e == "it.tls.min_version"));
        assert!(split_template("oops {{ x").is_err());
    }
}
