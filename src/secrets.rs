//! Secrets as taint. The run's credentials (the values of every `auth.env` variable) and
//! credential-like URL query parameters are removed from every string before it enters the
//! facts — the one choke point every report format, the saved facts and stderr read from.
//!
//! A vendor server can echo a token anywhere: a banner, a cookie name, a CORS header, a
//! redirect's query string, an error page. So redaction is not a list of places but a pass
//! over every string: the secret whole, each of its parts after a scheme (`Bearer x` → `x`),
//! its percent-encoded form, and any run of [`MIN_RUN`] or more of its characters. Pure.

use std::borrow::Cow;
use std::collections::HashSet;

/// A run of this many characters of a secret, found anywhere, is redacted.
pub const MIN_RUN: usize = 8;
/// What replaces a secret's characters.
pub const MARK: &str = "[redacted]";

/// Query parameter names whose values are credentials (compared without case, `-`, `_`).
const CREDENTIAL_PARAMS: &[&str] = &[
    "accesstoken",
    "apikey",
    "apitoken",
    "auth",
    "authtoken",
    "authorization",
    "clientsecret",
    "code",
    "idtoken",
    "jwt",
    "key",
    "password",
    "pass",
    "passwd",
    "pwd",
    "refreshtoken",
    "secret",
    "sessionid",
    "session",
    "sid",
    "sig",
    "signature",
    "token",
    "xamzcredential",
    "xamzsecuritytoken",
    "xamzsignature",
    "xgoogsignature",
];

/// The secrets of one run, ready to redact strings.
#[derive(Default, Clone)]
pub struct Redactor {
    /// Whole secrets and their parts, longest first (exact matches, any length).
    whole: Vec<String>,
    /// Every MIN_RUN-byte window of every secret form.
    grams: HashSet<Vec<u8>>,
}

impl std::fmt::Debug for Redactor {
    // Never print what it holds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secret forms)", self.whole.len())
    }
}

impl Redactor {
    /// A redactor for these secret values (empty values are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut r = Redactor::default();
        for s in secrets {
            r.add(s);
        }
        r
    }

    fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.is_empty() {
            return;
        }
        // `Bearer abc`, `Basic abc`, `Token token=abc`: the credential is the part after the
        // scheme, and a server may echo only that. Runs are taken from the parts, so the
        // scheme's own letters and spaces around it are not.
        let mut parts: Vec<String> = secret
            .split(|c: char| c.is_whitespace() || c == '=' || c == ',')
            .map(|p| p.trim_matches('"'))
            .filter(|p| p.len() >= 4 && !is_scheme_word(p))
            .map(str::to_string)
            .collect();
        if parts.is_empty() {
            parts.push(secret.to_string());
        }
        let encoded: Vec<String> = parts.iter().map(|f| percent_encode(f)).collect();
        parts.extend(encoded);
        for f in &parts {
            for w in f.as_bytes().windows(MIN_RUN) {
                self.grams.insert(w.to_vec());
            }
        }
        let mut forms = parts;
        forms.push(secret.to_string());
        forms.push(percent_encode(secret));
        self.whole.extend(forms);
        self.whole.sort_by_key(|w| std::cmp::Reverse(w.len()));
        self.whole.dedup();
    }

    /// Forgets the runs of the secret that `public` already shows (the manifest's own text,
    /// e.g. a token `contoso-…` and a host `api.contoso-scheduling.example`): echoing them
    /// reveals nothing, and cutting them would maim the user's own names. The secret whole and
    /// its parts are still redacted everywhere.
    pub fn forgetting_public(mut self, public: &str) -> Redactor {
        for w in public.as_bytes().windows(MIN_RUN) {
            if self.grams.contains(w) {
                self.grams.remove(w);
            }
        }
        self
    }

    /// True when there is nothing to redact but credential-like query parameters.
    pub fn is_empty(&self) -> bool {
        self.whole.is_empty()
    }

    /// `s` with every secret form, every run of MIN_RUN+ secret characters and every
    /// credential-like query parameter value replaced by [`MARK`].
    pub fn redact<'s>(&self, s: &'s str) -> Cow<'s, str> {
        let mut out = Cow::Borrowed(s);
        if !self.whole.is_empty()
            && let Some(r) = self.redact_secrets(&out)
        {
            out = Cow::Owned(r);
        }
        if let Some(r) = redact_query_params(&out) {
            out = Cow::Owned(r);
        }
        out
    }

    fn redact_secrets(&self, s: &str) -> Option<String> {
        let b = s.as_bytes();
        let mut covered = vec![false; b.len()];
        let mut any = false;
        for w in &self.whole {
            for (i, _) in s.match_indices(w.as_str()) {
                covered[i..i + w.len()].iter_mut().for_each(|c| *c = true);
                any = true;
            }
        }
        if b.len() >= MIN_RUN {
            for i in 0..=b.len() - MIN_RUN {
                if self.grams.contains(&b[i..i + MIN_RUN]) {
                    covered[i..i + MIN_RUN].iter_mut().for_each(|c| *c = true);
                    any = true;
                }
            }
        }
        if !any {
            return None;
        }
        // Widen each covered run to whole characters, then replace it with one mark.
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < b.len() {
            if covered[i] {
                let mut j = i;
                while j < b.len() && (covered[j] || !s.is_char_boundary(j)) {
                    j += 1;
                }
                out.push_str(MARK);
                i = j;
            } else {
                let ch = s[i..].chars().next().expect("char boundary");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        Some(out)
    }

    /// Redacts every string inside a JSON value, keys included; true when anything changed.
    pub fn redact_json(&self, v: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                if let Cow::Owned(r) = self.redact(s) {
                    *s = r;
                    return true;
                }
                false
            }
            Value::Array(a) => a.iter_mut().fold(false, |c, x| self.redact_json(x) | c),
            Value::Object(o) => {
                let needs_key = o.keys().any(|k| matches!(self.redact(k), Cow::Owned(_)));
                if needs_key {
                    let old = std::mem::take(o);
                    for (k, mut x) in old {
                        self.redact_json(&mut x);
                        o.insert(self.redact(&k).into_owned(), x);
                    }
                    true
                } else {
                    o.values_mut().fold(false, |c, x| self.redact_json(x) | c)
                }
            }
            _ => false,
        }
    }

    /// A serialisable value with every string redacted (a round trip through JSON only when
    /// something was redacted). Fails closed: a value that cannot be redacted is an error,
    /// never returned as it was.
    pub fn redact_value<T: serde::Serialize + serde::de::DeserializeOwned>(&self, value: T) -> Result<T, String> {
        let mut j = serde_json::to_value(&value).map_err(|e| format!("cannot redact secrets: {e}"))?;
        if !self.redact_json(&mut j) {
            return Ok(value);
        }
        serde_json::from_value(j).map_err(|e| format!("cannot redact secrets: {e}"))
    }
}

fn is_scheme_word(p: &str) -> bool {
    ["bearer", "basic", "token", "digest", "apikey", "api-key"].contains(&p.to_ascii_lowercase().as_str())
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn credential_param(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    CREDENTIAL_PARAMS.contains(&n.as_str()) || n.ends_with("token") || n.ends_with("secret") || n.ends_with("apikey")
}

/// `s` with the value of every credential-like query parameter (`?api_key=…`, `&token=…`)
/// replaced, wherever a URL appears in it. None when nothing changed.
pub fn redact_query_params(s: &str) -> Option<String> {
    if !s.contains('=') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'?' | b'&' | b';') {
            let name_start = i + 1;
            let mut j = name_start;
            while j < b.len() && !matches!(b[j], b'=' | b'&' | b'#' | b'?' | b';') && !b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < b.len() && b[j] == b'=' && j > name_start && credential_param(&s[name_start..j]) {
                let v_start = j + 1;
                let mut k = v_start;
                while k < b.len()
                    && !matches!(b[k], b'&' | b'#' | b';' | b'"' | b'\'' | b'<' | b'>')
                    && !b[k].is_ascii_whitespace()
                {
                    k += 1;
                }
                if k > v_start && &s[v_start..k] != MARK {
                    out.push_str(&s[last..v_start]);
                    out.push_str(MARK);
                    last = k;
                    changed = true;
                }
                i = k;
                continue;
            }
        }
        i += 1;
    }
    if !changed {
        return None;
    }
    out.push_str(&s[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "Bearer tok-9f8e7d6c5b4a-SECRET";

    #[test]
    fn whole_parts_and_runs() {
        let r = Redactor::new([TOKEN]);
        assert_eq!(r.redact(&format!("x {TOKEN} y")), "x [redacted] y");
        assert_eq!(r.redact("nginx tok-9f8e7d6c5b4a-SECRET"), "nginx [redacted]");
        // A run of 8+ of its characters, e.g. a server that truncates or splits it.
        assert_eq!(r.redact("id=8e7d6c5b4a-S;"), "id=[redacted];");
        assert_eq!(r.redact("cookie tok-9f8."), "cookie tok-9f8."); // 7 characters of it: kept
        assert_eq!(r.redact("nothing here"), "nothing here");
        // Percent-encoded in a URL.
        let r2 = Redactor::new(["a+b/c=d&e f"]);
        assert_eq!(
            r2.redact("https://h/?x=a%2Bb%2Fc%3Dd%26e%20f"),
            "https://h/?x=[redacted]"
        );
    }

    #[test]
    fn runs_the_manifest_shows_are_not_secret() {
        let r = Redactor::new(["Bearer contoso-fixture-token-0a9b"])
            .forgetting_public("url = \"https://api.contoso-scheduling.example/\"");
        assert_eq!(r.redact("evidence/contoso-pentest.pdf"), "evidence/contoso-pentest.pdf");
        assert_eq!(r.redact("x fixture-token y"), "x [redacted] y");
        assert_eq!(r.redact("contoso-fixture-token-0a9b"), "[redacted]");
    }

    #[test]
    fn short_secrets_only_whole() {
        let r = Redactor::new(["abc12"]);
        assert_eq!(r.redact("v=abc12."), "v=[redacted].");
        assert_eq!(r.redact("abc1"), "abc1");
    }

    #[test]
    fn credential_query_parameters() {
        let r = Redactor::default();
        assert_eq!(
            r.redact("https://h/step2?access_token=zz9&x=1"),
            "https://h/step2?access_token=[redacted]&x=1"
        );
        assert_eq!(
            r.redact("https://h/?api_key=k1;sig=3 then"),
            "https://h/?api_key=[redacted];sig=[redacted] then"
        );
        assert_eq!(
            r.redact("https://h/?page=2&X-Amz-Signature=ab"),
            "https://h/?page=2&X-Amz-Signature=[redacted]"
        );
        assert_eq!(r.redact("https://h/?page=2&sort=name"), "https://h/?page=2&sort=name");
        assert_eq!(r.redact("a=b"), "a=b");
    }

    #[test]
    fn json_keys_and_values() {
        let r = Redactor::new([TOKEN]);
        let mut v = serde_json::json!({"tok-9f8e7d6c5b4a-SECRET": ["Bearer tok-9f8e7d6c5b4a-SECRET", 3], "k": "ok"});
        assert!(r.redact_json(&mut v));
        assert_eq!(v, serde_json::json!({"k": "ok", "[redacted]": ["[redacted]", 3]}));
        assert!(!format!("{r:?}").contains("tok-"));
    }

    #[test]
    fn unicode_is_kept_whole() {
        let r = Redactor::new(["ééééSECRETVALUE"]);
        let out = r.redact("a ééééSECRETVALUE© b");
        assert_eq!(out, "a [redacted]© b");
    }
}
