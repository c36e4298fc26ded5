//! ② Collect (export probe): a column's type decided from its values when its name says
//! nothing (`c07`, `column_3`). Input: each value's shape; output: whether the column holds
//! ZIP codes or phone numbers, or place names waiting on their neighbours (a city column sits
//! between a street column and a state or ZIP column). No I/O.
//!
//! A bare `73265` or `3097239987` is not an identifier on its own (a quantity, an order
//! number); a column whose first values are nearly all ZIP-shaped or phone-shaped is a ZIP or
//! phone column. The decision is taken on the first [`SAMPLE`] values (their candidates are
//! held, masked, until then) and holds for the rest of the column: memory stays bounded.

use super::Kind;

/// Values looked at before deciding.
pub const SAMPLE: u32 = 100;
/// A column of fewer values is still decided at the end, from at least this many.
pub const MIN_AT_END: u32 = 20;
/// Share of the sample that must have the shape.
const SHARE: f64 = 0.9;

/// What a value looks like, as far as the profile cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    /// `73265`, `73265-1234`, or a postcode already found.
    pub zip: bool,
    /// Laid out as a phone number (NANP-valid or not), or a phone already found.
    pub phone: bool,
    /// Its digits as a number, when it is all digits (row ids count up: not ZIP codes).
    pub number: Option<u64>,
    /// A whole dotted quad; `Some(true)` when every part is under 32 (`13.17.16.8`), as
    /// version numbers are and few addresses outside 10/8 and 127/8 are.
    pub quad: Option<bool>,
    /// A street address was found in it.
    pub street: bool,
    /// Shaped like a place name: one to four capitalised words, letters only (`Lake Nicole`,
    /// `St. Louis`, `Saint-Jérôme`).
    pub place: bool,
    /// A US state or territory, by its USPS code or its name.
    pub state: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decision {
    #[default]
    Undecided,
    Holds(Kind),
    /// Four-part version numbers, not IPv4 addresses.
    Versions,
    /// Place-shaped values: a city column if its neighbours are street and state or ZIP
    /// columns (decided by the scanner, which sees the other columns).
    Place,
    Nothing,
}

/// One column's profile.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub decision: Decision,
    values: u32,
    zip: u32,
    phone: u32,
    rising: u32,
    quads: u32,
    small_quads: u32,
    street: u32,
    place: u32,
    state: u32,
    /// Values seen while waiting on the neighbours ([`Decision::Place`]).
    pub waited: u32,
    last: Option<u64>,
    /// Candidates seen before the decision: (record, kind, masked value).
    pub pending: Vec<(u64, Kind, String)>,
}

impl Profile {
    /// Count one value; returns the decision if it was just taken.
    pub fn see(&mut self, s: Shape) -> Option<Decision> {
        if self.decision != Decision::Undecided {
            return None;
        }
        self.values += 1;
        self.zip += u32::from(s.zip);
        self.phone += u32::from(s.phone);
        self.quads += u32::from(s.quad.is_some());
        self.small_quads += u32::from(s.quad == Some(true));
        self.street += u32::from(s.street);
        self.place += u32::from(s.place);
        self.state += u32::from(s.state);
        if let (Some(n), Some(l)) = (s.number, self.last)
            && n > l
        {
            self.rising += 1;
        }
        self.last = s.number;
        (self.values >= SAMPLE).then(|| self.decide())
    }

    /// Decide from what was seen (at [`SAMPLE`] values, or at the end of the column).
    pub fn decide(&mut self) -> Decision {
        let n = f64::from(self.values.max(1));
        self.decision = if f64::from(self.zip) >= SHARE * n && f64::from(self.rising) < 0.9 * n {
            Decision::Holds(Kind::Zip)
        } else if f64::from(self.phone) >= SHARE * n {
            Decision::Holds(Kind::Phone)
        } else if f64::from(self.quads) >= SHARE * n && f64::from(self.small_quads) >= SHARE * n {
            Decision::Versions
        } else if f64::from(self.place) >= SHARE * n && f64::from(self.state) < 0.5 * n {
            Decision::Place
        } else {
            Decision::Nothing
        };
        self.decision
    }

    /// Most of its values (of at least [`MIN_AT_END`]) held a street address.
    pub fn street_column(&self) -> bool {
        self.values >= MIN_AT_END && f64::from(self.street) >= 0.8 * f64::from(self.values)
    }

    /// Nearly all of its values (of at least [`MIN_AT_END`]) are US states.
    pub fn state_column(&self) -> bool {
        self.values >= MIN_AT_END && f64::from(self.state) >= SHARE * f64::from(self.values)
    }

    /// Seen enough values for [`street_column`](Self::street_column) and
    /// [`state_column`](Self::state_column) to be final enough for a neighbour's decision.
    pub fn known(&self) -> bool {
        self.decision != Decision::Undecided || self.values >= SAMPLE
    }

    /// At the end of the scan: decide a column that never reached the sample size (one of
    /// fewer than [`MIN_AT_END`] values is too short to say anything about: nothing).
    pub fn settle(&mut self) -> Option<Decision> {
        if self.decision != Decision::Undecided {
            return None;
        }
        if self.values < MIN_AT_END {
            self.decision = Decision::Nothing;
            return Some(Decision::Nothing);
        }
        Some(self.decide())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip(n: u64) -> Shape {
        Shape {
            zip: true,
            phone: false,
            number: Some(n),
            ..Shape::default()
        }
    }

    #[test]
    fn decides_on_the_sample() {
        let mut p = Profile::default();
        for i in 0..SAMPLE - 1 {
            assert_eq!(
                p.see(zip(u64::from(i).wrapping_mul(2_654_435_761) % 90_000 + 10_000)),
                None
            );
        }
        assert_eq!(p.see(zip(12)), Some(Decision::Holds(Kind::Zip)));
        // Row numbers counting up are not ZIP codes; a mixed column is nothing.
        let mut p = Profile::default();
        for i in 0..SAMPLE {
            p.see(zip(10_000 + u64::from(i)));
        }
        assert_eq!(p.decision, Decision::Nothing);
        let mut p = Profile::default();
        for i in 0..30 {
            p.see(Shape {
                zip: i % 3 == 0,
                ..Shape::default()
            });
        }
        assert_eq!(p.settle(), Some(Decision::Nothing));
        let mut p = Profile::default();
        for i in 0..SAMPLE {
            p.see(Shape {
                quad: Some(i % 20 != 0),
                ..Shape::default()
            });
        }
        assert_eq!(p.decision, Decision::Versions);
        assert_eq!(Profile::default().settle(), Some(Decision::Nothing));
    }
}
