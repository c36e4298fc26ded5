//! What a rule's CEL may cost. The interpreter has no cost hook and cannot be interrupted, so
//! vetter bounds it in two places:
//!
//! - statically (`vetter rules check` and every load): comprehensions nest at most
//!   [`MAX_NESTING`] deep, literal lists iterated inside each other may not multiply past
//!   [`STEP_BUDGET`], and every function called must be declared;
//! - at run time: every comprehension is rewritten to pass through [`METER`] once per
//!   iteration, a function the engine counts against a per-finding budget of [`STEP_BUDGET`]
//!   steps. An overrun stops the loop with an error (the engine makes it an `error` finding
//!   naming the rule). Counting steps, not time, keeps evaluation pure and repeatable.

use std::collections::HashMap;

use cel::common::ast::{CallExpr, EntryExpr, Expr, LiteralValue, operators};
use cel::parser::Expression;
use cel::{Context, ExecutionError, Program};

use super::check::ExprProblem;

/// Comprehension iterations one rule may spend on one resource (its `when`, `assert` and
/// message together): room for a rule that pairs every element of one list of hundreds with
/// every element of another, while a runaway rule stops within seconds.
pub const STEP_BUDGET: u64 = 100_000;

/// Comprehensions (`all`, `exists`, `map`, ...) nested deeper than this are refused.
pub const MAX_NESTING: usize = 3;

/// The metering function the rewritten tree calls. `@` cannot start a name in CEL source, so
/// no rule can call or shadow it.
pub const METER: &str = "@vetter_step";

/// `expr` with one metering call per comprehension iteration.
///
/// The call wraps each loop's condition, which the interpreter checks before every step and
/// whose error ends the loop at once (an error in an `all()` step would be deferred and the
/// loop would go on). `map`/`filter` loops keep their literal condition, which the interpreter
/// needs for its in-place append; there the call wraps the step's guard instead.
pub fn metered(expr: &Expression) -> Expression {
    let mut e = expr.clone();
    meter(&mut e);
    e
}

fn call(id: u64, func: &str, args: Vec<Expression>) -> Expression {
    Expression {
        id,
        expr: Expr::Call(CallExpr {
            func_name: func.to_string(),
            target: None,
            args,
        }),
    }
}

fn meter(e: &mut Expression) {
    match &mut e.expr {
        Expr::Comprehension(c) => {
            for sub in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                meter(sub);
            }
            let accu = c.accu_var.clone();
            let is_accu = |x: &Expression| matches!(&x.expr, Expr::Ident(n) if *n == accu);
            let append = |x: &Expression| {
                matches!(&x.expr, Expr::Call(k) if k.func_name == operators::ADD && k.target.is_none()
                    && matches!(k.args.as_slice(), [l, r] if is_accu(l) && matches!(r.expr, Expr::List(_))))
            };
            let literal_cond = matches!(c.loop_cond.expr, Expr::Literal(_));
            let step_id = c.loop_step.id;
            let plain_append = literal_cond && append(&c.loop_step);
            match &mut c.loop_step.expr {
                Expr::Call(k)
                    if literal_cond
                        && k.func_name == operators::CONDITIONAL
                        && k.args.len() == 3
                        && append(&k.args[1])
                        && is_accu(&k.args[2]) =>
                {
                    let guard = std::mem::take(&mut k.args[0]);
                    k.args[0] = call(guard.id, METER, vec![guard]);
                }
                _ if plain_append => {
                    let step = std::mem::take(&mut c.loop_step);
                    let truth = Expression {
                        id: step_id,
                        expr: Expr::Literal(LiteralValue::Boolean(true.into())),
                    };
                    let guard = call(step_id, METER, vec![truth]);
                    let otherwise = Expression {
                        id: step_id,
                        expr: Expr::Ident(accu.clone()),
                    };
                    c.loop_step = call(step_id, operators::CONDITIONAL, vec![guard, step, otherwise]);
                }
                _ => {
                    let cond = std::mem::take(&mut c.loop_cond);
                    c.loop_cond = call(cond.id, METER, vec![cond]);
                }
            }
        }
        Expr::Call(k) => {
            if let Some(t) = k.target.as_deref_mut() {
                meter(t);
            }
            k.args.iter_mut().for_each(meter);
        }
        Expr::Select(s) => meter(&mut s.operand),
        Expr::List(l) => l.elements.iter_mut().for_each(meter),
        Expr::Map(m) => {
            for entry in &mut m.entries {
                if let EntryExpr::MapEntry(me) = &mut entry.expr {
                    meter(&mut me.key);
                    meter(&mut me.value);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &mut s.entries {
                if let EntryExpr::StructField(f) = &mut entry.expr {
                    meter(&mut f.value);
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Static cost problems of one expression: comprehensions nested too deep, literal lists whose
/// product of sizes exceeds the budget, calls to functions nothing declares.
pub fn check(program: &Program, declared: &mut Declared) -> Vec<ExprProblem> {
    let info = program.source_info();
    let offset = |id: u64| info.offset_for(id).map(|(s, _)| s as usize).unwrap_or(0);
    let mut out = Vec::new();
    walk(program.expression(), 0, 1, declared, &offset, &mut out);
    out
}

fn walk(
    e: &Expression,
    depth: usize,
    product: u64,
    declared: &mut Declared,
    off: &dyn Fn(u64) -> usize,
    out: &mut Vec<ExprProblem>,
) {
    let mut go = |x: &Expression, depth: usize, product: u64, out: &mut Vec<ExprProblem>| {
        walk(x, depth, product, declared, off, out)
    };
    match &e.expr {
        Expr::Comprehension(c) => {
            let depth = depth + 1;
            if depth > MAX_NESTING {
                out.push(ExprProblem {
                    offset: off(c.iter_range.id),
                    message: format!(
                        "comprehensions (all, exists, exists_one, map, filter) nested {depth} deep; at most {MAX_NESTING} are allowed"
                    ),
                    help: Some(
                        "each level multiplies the work by the length of its list; split the rule or test a flatter condition"
                            .into(),
                    ),
                });
                return;
            }
            // Only literal lists have a size known before the facts are seen; the run-time
            // budget covers the rest.
            let len = match &c.iter_range.expr {
                Expr::List(l) => l.elements.len() as u64,
                _ => 1,
            };
            let outer = product;
            let product = product.saturating_mul(len.max(1));
            if product > STEP_BUDGET {
                out.push(ExprProblem {
                    offset: off(c.iter_range.id),
                    message: format!(
                        "nested comprehensions over literal lists take {product} steps, more than the budget of {STEP_BUDGET}"
                    ),
                    help: Some("iterate over shorter lists".into()),
                });
                return;
            }
            // The range is evaluated once per enclosing iteration, not per element of itself.
            go(&c.iter_range, depth - 1, outer, out);
            go(&c.accu_init, depth, product, out);
            go(&c.loop_cond, depth, product, out);
            go(&c.loop_step, depth, product, out);
            go(&c.result, depth, product, out);
        }
        Expr::Call(k) => {
            if let Some(t) = &k.target {
                go(t, depth, product, out);
            }
            for a in &k.args {
                go(a, depth, product, out);
            }
            if !declared.is_declared(k) {
                let how = if k.target.is_some() { "method" } else { "function" };
                out.push(ExprProblem {
                    offset: off(e.id),
                    message: format!("unknown {how} `{}`", k.func_name),
                    help: Some(
                        "only the CEL standard library, vetter's date(s) and days_between(a, b), and the message formatters (rules/README.md) are available"
                            .into(),
                    ),
                });
            }
        }
        Expr::Select(s) => go(&s.operand, depth, product, out),
        Expr::List(l) => l.elements.iter().for_each(|x| go(x, depth, product, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let EntryExpr::MapEntry(me) = &entry.expr {
                    go(&me.key, depth, product, out);
                    go(&me.value, depth, product, out);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    go(&f.value, depth, product, out);
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Which function names the interpreter knows. The library exposes no list of its overloads,
/// so each name is asked once of the interpreter itself: a call with no arguments fails with
/// "undeclared reference" only when nothing declares the name. Answers are cached, so a pack
/// of thousands of rules costs one probe per distinct name.
pub struct Declared {
    ctx: Context<'static, 'static>,
    cache: HashMap<(String, bool, Option<String>), bool>,
}

impl Default for Declared {
    fn default() -> Self {
        let mut ctx = Context::default();
        crate::engine::add_functions(&mut ctx);
        Declared {
            ctx,
            cache: HashMap::new(),
        }
    }
}

impl Declared {
    fn is_declared(&mut self, k: &CallExpr) -> bool {
        // Operators (`_==_`, `@in`, `!_`, ...) are the parser's own; only names a rule wrote
        // are probed.
        if !k.func_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || k.func_name.starts_with('_') {
            return true;
        }
        let path = k.target.as_deref().and_then(qualified);
        let key = (k.func_name.clone(), k.target.is_some(), path);
        if let Some(&known) = self.cache.get(&key) {
            return known;
        }
        let undeclared = |src: &str, ctx: &Context| match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Program::compile(src).map(|p| p.execute(ctx))
        })) {
            Ok(Ok(Err(ExecutionError::UndeclaredReference(n)))) => Some(n.to_string()),
            _ => None,
        };
        let name = &key.0;
        let known = if !key.1 {
            undeclared(&format!("{name}()"), &self.ctx).as_deref() != Some(name.as_str())
        } else {
            // A method on a value, or a namespaced function such as `optional.of`.
            undeclared(&format!("null.{name}()"), &self.ctx).as_deref() != Some(name.as_str())
                || key
                    .2
                    .as_ref()
                    .is_some_and(|p| undeclared(&format!("{p}.{name}()"), &self.ctx).is_none())
        };
        self.cache.insert(key, known);
        known
    }
}

/// `a.b.c` when `e` is a plain dotted name.
fn qualified(e: &Expression) -> Option<String> {
    match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        Expr::Select(s) if !s.test => Some(format!("{}.{}", qualified(&s.operand)?, s.field)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str) -> Vec<String> {
        let p = Program::compile(src).unwrap();
        check(&p, &mut Declared::default())
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn standard_and_vetter_functions_are_declared() {
        for ok in [
            "size(x) > 0 && x.size() > 0",
            "x.startsWith('a') && x.endsWith('b') && x.contains('c') && x.matches('d')",
            "int('1') + 1 == 2 && string(1) == '1' && double(1) > 0.5",
            "days_between(date('2026-01-01'), as_of) > 3",
            "timestamp('2026-01-01T00:00:00Z') < timestamp('2027-01-01T00:00:00Z')",
            "[1,2].exists(v, v > 1) && [1].all(v, v in [1]) && [1].map(v, v * 2).filter(v, v > 1).size() > 0",
            "has(a.b) && type(x) == string && duration('1h') > duration('1m')",
        ] {
            let p = problems(ok);
            assert!(p.is_empty(), "{ok}: {p:?}");
        }
    }

    #[test]
    fn undeclared_functions_are_named() {
        assert_eq!(problems("nosuch(1) > 0"), vec!["unknown function `nosuch`"]);
        assert_eq!(problems("x.frobnicate() == 1"), vec!["unknown method `frobnicate`"]);
    }

    #[test]
    fn deep_and_literal_heavy_nesting_is_refused() {
        assert!(problems("[1].all(a, [1].all(b, [1].all(c, true)))").is_empty());
        let deep = problems("[1].all(a, [1].all(b, [1].all(c, [1].all(d, true))))");
        assert!(deep[0].contains("nested 4 deep"), "{deep:?}");
        let big: String = (0..400).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let src = format!("[{big}].all(a, [{big}].all(b, a + b >= 0))");
        let heavy = problems(&src);
        assert!(heavy[0].contains("more than the budget"), "{heavy:?}");
    }

    #[test]
    fn metering_reaches_every_loop_shape() {
        fn count(e: &Expression) -> usize {
            let own = matches!(&e.expr, Expr::Call(k) if k.func_name == METER) as usize;
            own + match &e.expr {
                Expr::Comprehension(c) => [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
                    .into_iter()
                    .map(count)
                    .sum(),
                Expr::Call(k) => {
                    k.target.iter().map(|t| count(t)).sum::<usize>() + k.args.iter().map(count).sum::<usize>()
                }
                _ => 0,
            }
        }
        for src in [
            "x.all(a, a > 1)",
            "x.exists(a, a > 1)",
            "x.exists_one(a, a > 1)",
            "x.map(a, a + 1)",
            "x.filter(a, a > 1)",
            "x.map(a, a > 1, a)",
        ] {
            let p = Program::compile(src).unwrap();
            assert_eq!(count(&metered(p.expression())), 1, "{src}");
        }
    }
}
