//! One declaration per closed set of names (statuses, severities, forces...): the enum, its
//! serialised names, `ALL`, `as_str`, `Display` and `FromStr` all come from the same list, so a
//! name cannot be spelled one way in JSON and another in a message.

/// Declares an enum whose variants each carry their serialised name.
///
/// ```text
/// named_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
///     pub enum Law ("law", expected "`hipaa` or `gdpr`") {
///         Hipaa = "hipaa",
///         Gdpr = "gdpr",
///     }
/// }
/// ```
///
/// The enum must derive `Serialize` or `Deserialize` (each variant gets `#[serde(rename)]`).
/// `"law"` names the set in a parse error (`unknown law `x`; expected ...`); `expected "..."`
/// replaces the default `one of a, b, c`; `all [..]` orders `ALL` differently from the
/// declaration (which fixes `Ord` and the JSON schema's order).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal $(, expected $expected:literal)? $(, all [$($all:ident),+ $(,)?])?) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order lists and messages give them.
            pub const ALL: [$name; [$($text),+].len()] = named_enum!(@all $name; $([$($all),+])?; $($variant),+);

            /// The serialised name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
                    let expected: String = named_enum!(@expected $name; $($expected)?);
                    format!("unknown {} `{s}`; expected {expected}", $what)
                })
            }
        }
    };
    (@all $name:ident; [$($all:ident),+]; $($variant:ident),+) => { [$($name::$all),+] };
    (@all $name:ident; ; $($variant:ident),+) => { [$($name::$variant),+] };
    (@expected $name:ident; $expected:literal) => { $expected.to_string() };
    (@expected $name:ident; ) => {
        format!("one of {}", $name::ALL.map($name::as_str).join(", "))
    };
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    named_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
        enum Size ("size", all [Big, Small]) {
            Small = "small",
            Big = "big-one",
        }
    }

    named_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        enum Side ("side", expected "`left` or `right`") {
            Left = "left",
            Right = "right",
        }
    }

    #[test]
    fn one_list_gives_names_order_and_messages() {
        assert_eq!(Size::ALL, [Size::Big, Size::Small]);
        assert!(Size::Small < Size::Big, "declaration order fixes Ord");
        assert_eq!(Size::Big.to_string(), "big-one");
        assert_eq!(serde_json::to_string(&Size::Big).unwrap(), "\"big-one\"");
        assert_eq!("big-one".parse::<Size>(), Ok(Size::Big));
        assert_eq!(
            "Big".parse::<Size>(),
            Err("unknown size `Big`; expected one of big-one, small".to_string())
        );
        assert_eq!(
            "up".parse::<Side>(),
            Err("unknown side `up`; expected `left` or `right`".to_string())
        );
        assert_eq!(serde_json::from_str::<Side>("\"right\"").unwrap(), Side::Right);
    }
}
