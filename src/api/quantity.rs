//! Kubernetes' `resource.Quantity` with the exact semantics of k8s.io/apimachinery v1.34.
//!
//! Quantities such as `100m`, `1.5Gi` or `2e3` are the currency of resource requests,
//! limits and node allocatable, so parsing, rounding, comparison, the integer accessors
//! and the canonical string must agree with the API server bit for bit. This module
//! re-implements `ParseQuantity`, `Quantity.String` (`CanonicalizeBytes`), `Value`,
//! `MilliValue`, `ScaledValue` and `Cmp` from
//! `staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`, `suffix.go`,
//! `amount.go`, `math.go` and `scale_int.go` (with `gopkg.in/inf.v0` for the big-decimal
//! side). Go keeps a quantity either as an `int64Amount` (fast path) or as an `inf.Dec`
//! (slow path), and the two disagree on how `Value()` rounds negative numbers and on
//! what an overflowing result looks like; Go also does its scale arithmetic in wrapping
//! int32. So a [`Quantity`] here stores the exact value as a normalised decimal
//! (sign, coefficient, power of ten) plus a record of which Go representation would
//! hold it, and reproduces Go's arithmetic on top of that. No floating point is used.
//!
//! Deviations from Go, all confined to inputs or states Go cannot handle sensibly:
//! * The slow path rounds a non-zero value to nano with `inf.Dec.Round`, which builds
//!   10^|shift| with `shift = 9 - scale`. Beyond [`MAX_ROUNDING_SHIFT_DIGITS`] digits Go
//!   effectively hangs or allocates gigabytes (`1e-99999999999`, whose exponent Go
//!   truncates to -1215752191, needs a 500 MB power of ten), so we return
//!   [`QuantityError::ExponentTooLarge`] instead.
//! * Inputs longer than `i32::MAX` bytes are rejected with [`QuantityError::TooLong`];
//!   Go truncates their lengths to int32 and produces nonsense.
//! * Comparison is exact and never hangs or panics. Go v1.34's `int64Amount.Cmp` divides
//!   by zero (panics) when two scales differ by more than 2^31 (`1e2147483647` against
//!   `1n`), and `inf.Dec.Cmp` materialises 10^difference for large scale differences.
//! * `ScaledValue` on the `inf.Dec` path scales up with `int64(math.Pow10(n))`, which for
//!   n >= 19 is a platform-specific float conversion; we follow amd64 (`i64::MIN`).
//! * [`Format`] has no "unknown" variant, so Go's rule that an unknown format prints as
//!   `DecimalExponent` cannot arise.
//!
//! Like v1.34, a `DecimalSI` value whose canonical exponent has no suffix prints
//! without one: `"1000E"` prints as `"1"` (newer apimachinery sources fall back to `e`
//! notation there). Where Go's own arithmetic wraps (int32 exponents such as
//! `1e4294967296`, which means 1, or int64 results such as `12E`.value(), which is 0),
//! we wrap the same way; [`Quantity::checked_value`] and friends are our addition for
//! callers that must refuse such values.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;
use std::sync::Arc;

/// Go's `Nano` scale: parsing rounds every non-zero value away from zero to a multiple
/// of 10^-9, so that asking for a tiny amount still yields some resource.
const NANO_EXPONENT: i32 = -9;

/// Go's `maxInt64Factors`: the number of decimal digits the fast path accepts.
const MAX_INT64_FACTORS: i32 = 18;

/// The largest power of ten (counted in digits) that the slow path may ask Go's
/// `inf.Dec.Round` to build. Go needs tens of seconds and hundreds of megabytes of
/// temporaries at this size, so anything larger is treated as a hang and rejected.
pub const MAX_ROUNDING_SHIFT_DIGITS: i64 = 100_000_000;

/// The longest input accepted, in bytes: Go converts lengths to int32.
pub const MAX_INPUT_LEN_BYTES: usize = i32::MAX as usize;

/// Go's `splitREString`, quoted by `ErrFormatWrong`; the scanner does not use it.
const SPLIT_REGEX: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// The characters `parseQuantityString` accepts at the start of a suffix.
const SUFFIX_LETTERS: &[u8] = b"eEinumkKMGTP";

/// BinarySI suffixes by power of 1024; 1024^0 has no suffix.
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/// A `u128` has at most 39 decimal digits.
const U128_DIGITS_MAX: usize = 39;

/// Coefficients with at most this many digits are kept inline as a `u128`; 10^38 - 1 is
/// the largest all-nines number a `u128` holds, which keeps multiplications by powers of
/// ten in comparisons free of overflow.
const SMALL_DIGITS_MAX: usize = 38;

/// Powers of ten that fit a `u128`.
const POW10_U128: [u128; U128_DIGITS_MAX] = {
    let mut table = [1u128; U128_DIGITS_MAX];
    let mut i = 1;
    while i < U128_DIGITS_MAX {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The three ways a quantity remembers to print itself (Go's `Format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `DecimalSI`: powers of 1000 with `n`, `u`, `m`, `k`, `M`, `G`, `T`, `P`, `E`.
    DecimalSI,
    /// `BinarySI`: powers of 1024 with `Ki` … `Ei`.
    BinarySI,
    /// `DecimalExponent`: `e<exponent>` with an exponent that is a multiple of three.
    DecimalExponent,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::DecimalSI => "DecimalSI",
            Format::BinarySI => "BinarySI",
            Format::DecimalExponent => "DecimalExponent",
        })
    }
}

/// Why a string is not a quantity. The first three variants are Go's `ErrFormatWrong`,
/// `ErrSuffix` and `ErrNumeric`; the others replace Go hanging or misbehaving.
/// `input` holds the offending string, shortened to 64 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuantityError {
    /// Go's `ErrFormatWrong`: empty input, whitespace, or characters after the suffix.
    FormatWrong { input: String },
    /// Go's `ErrSuffix`: the suffix is not one of the known ones (suffixes are
    /// case-sensitive) or the exponent does not fit an int64.
    Suffix { input: String },
    /// Go's `ErrNumeric`: the slow path found no digit at all, as in `e-10` or `Ei`.
    Numeric { input: String },
    /// Rounding to nano would need a power of ten with more than
    /// [`MAX_ROUNDING_SHIFT_DIGITS`] digits, which makes Go hang.
    ExponentTooLarge { input: String },
    /// The input is longer than [`MAX_INPUT_LEN_BYTES`].
    TooLong { len_bytes: usize },
}

impl QuantityError {
    fn format_wrong(input: &str) -> QuantityError {
        QuantityError::FormatWrong { input: excerpt(input) }
    }

    fn suffix(input: &str) -> QuantityError {
        QuantityError::Suffix { input: excerpt(input) }
    }

    fn numeric(input: &str) -> QuantityError {
        QuantityError::Numeric { input: excerpt(input) }
    }
}

/// Shortens hostile inputs so that an error never carries megabytes of text.
fn excerpt(input: &str) -> String {
    const EXCERPT_LEN_BYTES: usize = 64;
    if input.len() <= EXCERPT_LEN_BYTES {
        return input.to_owned();
    }
    let mut end = EXCERPT_LEN_BYTES;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &input[..end])
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::FormatWrong { input } => write!(
                f,
                "quantity {input:?}: quantities must match the regular expression '{SPLIT_REGEX}' \
                 (write a number and an optional suffix with no spaces, e.g. 100m, 1.5Gi or 2e3)"
            ),
            QuantityError::Suffix { input } => write!(
                f,
                "quantity {input:?}: unable to parse quantity's suffix (expected a number followed by \
                 one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or e<exponent>)"
            ),
            QuantityError::Numeric { input } => write!(
                f,
                "quantity {input:?}: unable to parse numeric part of quantity \
                 (put at least one digit before the suffix, e.g. 0Ei rather than Ei)"
            ),
            QuantityError::ExponentTooLarge { input } => write!(
                f,
                "quantity {input:?}: exponent too large to round to nano exactly (Kubernetes would \
                 build a power of ten with more than {MAX_ROUNDING_SHIFT_DIGITS} digits; use a smaller exponent)"
            ),
            QuantityError::TooLong { len_bytes } => write!(
                f,
                "quantity string of {len_bytes} bytes is too long (at most {MAX_INPUT_LEN_BYTES} bytes are accepted)"
            ),
        }
    }
}

impl std::error::Error for QuantityError {}

/// Which of Go's two internal representations holds the quantity. Go's integer
/// accessors and some of its formatting depend on it, not only on the value.
#[derive(Clone, Copy, Debug)]
enum GoRepr {
    /// `int64Amount{value, scale}`: the value is `value * 10^scale`.
    Int64 { value: i64, scale: i32 },
    /// `inf.Dec` with the given `inf.Scale` (digits after the point): the unscaled
    /// integer is `value * 10^scale`. Non-zero parsed values have scale 9, a BinarySI
    /// value capped at 2^63-1 has scale 0.
    InfDec { scale: i32 },
}

/// A fixed-point number with Kubernetes' parsing, rounding and printing rules.
///
/// Equality, hashing and ordering use the exact numeric value only: `1Ki == 1024` and
/// `1000m == 1`, whatever the format or the original spelling.
#[derive(Clone)]
pub struct Quantity {
    /// The exact value.
    value: Decimal,
    /// The Go representation that would hold `value`.
    repr: GoRepr,
    /// The suffix family to print with (Go's `Format`).
    format: Format,
    /// Go's cached string `s`: the input itself when the fast path found it canonical.
    verbatim: Option<Arc<str>>,
}

impl Quantity {
    /// `ParseQuantity`: reads a quantity such as `100m`, `1.5Gi` or `2e3`. There is no
    /// whitespace trimming; Go's `UnmarshalJSON` trims before calling it.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        let bytes = input.as_bytes();
        if bytes.is_empty() {
            return Err(QuantityError::format_wrong(input));
        }
        if bytes.len() > MAX_INPUT_LEN_BYTES {
            return Err(QuantityError::TooLong { len_bytes: bytes.len() });
        }
        if input == "0" {
            return Ok(Quantity::from_int64_amount(0, 0, Format::DecimalSI, Some(Arc::from(input))));
        }
        let scanned = scan_quantity(bytes).ok_or_else(|| QuantityError::format_wrong(input))?;
        let suffix = interpret_suffix(scanned.suffix).ok_or_else(|| QuantityError::suffix(input))?;
        if let Some(quantity) = parse_fast(input, &scanned, suffix)? {
            return Ok(quantity);
        }
        parse_slow(input, &scanned, suffix)
    }

    /// `NewQuantity`: `value` in the given format.
    pub fn new(value: i64, format: Format) -> Quantity {
        Quantity::from_int64_amount(value, 0, format, None)
    }

    /// `NewMilliQuantity`: `milli / 1000` in the given format.
    pub fn new_milli(milli: i64, format: Format) -> Quantity {
        Quantity::from_int64_amount(milli, -3, format, None)
    }

    fn from_int64_amount(value: i64, scale: i32, format: Format, verbatim: Option<Arc<str>>) -> Quantity {
        Quantity {
            value: Decimal::from_i128(i128::from(value), i64::from(scale)),
            repr: GoRepr::Int64 { value, scale },
            format,
            verbatim,
        }
    }

    /// `Value()`: `ScaledValue(0)`, rounded up and silently overflowing like Go.
    pub fn value(&self) -> i64 {
        self.scaled_value(0)
    }

    /// `MilliValue()`: `ScaledValue(-3)`, rounded up and silently overflowing like Go.
    pub fn milli_value(&self) -> i64 {
        self.scaled_value(-3)
    }

    /// `ScaledValue(scale)`: the value in units of 10^scale. Scaling down rounds up: away
    /// from zero for quantities on Go's int64 path, and for negative quantities on the
    /// `inf.Dec` path either towards zero or to truncation plus one, exactly as Go does.
    /// Results outside int64 wrap or collapse the way Go's do (`12E`.value() is 0).
    pub fn scaled_value(&self, scale: i32) -> i64 {
        match self.repr {
            GoRepr::Int64 { value, scale: amount_scale } => int64_scaled_value(value, amount_scale, scale),
            GoRepr::InfDec { scale: dec_scale } => infdec_scaled_value(&self.value, dec_scale, scale),
        }
    }

    /// Like [`Quantity::value`], but `None` where Go would silently overflow.
    pub fn checked_value(&self) -> Option<i64> {
        self.checked_scaled_value(0)
    }

    /// Like [`Quantity::milli_value`], but `None` where Go would silently overflow.
    pub fn checked_milli_value(&self) -> Option<i64> {
        self.checked_scaled_value(-3)
    }

    /// Like [`Quantity::scaled_value`], but `None` when the exact value in units of
    /// 10^scale lies outside int64 or Go's int32 scale arithmetic would wrap; otherwise
    /// exactly Go's result.
    pub fn checked_scaled_value(&self, scale: i32) -> Option<i64> {
        let upper = Decimal::from_i128(i128::from(i64::MAX), i64::from(scale));
        let lower = Decimal::from_i128(i128::from(i64::MIN), i64::from(scale));
        if self.value.cmp_value(&upper) == Ordering::Greater || self.value.cmp_value(&lower) == Ordering::Less {
            return None;
        }
        match self.repr {
            GoRepr::Int64 { scale: amount_scale, .. } => {
                amount_scale.checked_sub(scale)?;
                scale.checked_sub(amount_scale)?;
            }
            GoRepr::InfDec { .. } => {
                scale.checked_neg()?;
            }
        }
        Some(self.scaled_value(scale))
    }

    /// The remembered suffix family (Go's `Format` field).
    pub fn format(&self) -> Format {
        self.format
    }

    /// `IsZero()`.
    pub fn is_zero(&self) -> bool {
        self.value.is_zero()
    }

    /// `Sign()`: -1, 0 or 1.
    pub fn sign(&self) -> i32 {
        self.value.signum()
    }

    /// `String()`: the input verbatim when the fast path found it canonical, otherwise
    /// `CanonicalizeBytes` plus the suffix.
    fn canonical_string(&self) -> String {
        if let Some(verbatim) = &self.verbatim {
            return verbatim.to_string();
        }
        if self.value.is_zero() {
            return "0".to_owned();
        }
        let mut format = self.format;
        if format == Format::BinarySI {
            let above = self.value.cmp_value(&Decimal::from_i128(-1024, 0)) == Ordering::Greater;
            let below = self.value.cmp_value(&Decimal::from_i128(1024, 0)) == Ordering::Less;
            // Go prints small or fractional BinarySI values as DecimalSI rather than round
            // them (`AsScale(0)` is inexact exactly when the value is not an integer).
            match self.value.to_i128_exact() {
                Some(integer) if !(above && below) => {
                    let int64_path = matches!(self.repr, GoRepr::Int64 { .. });
                    return binary_si_string(integer, int64_path);
                }
                // BinarySI values always fit an int64 (parsing caps them), so an integer
                // that does not fit an i128 cannot occur; printing it as DecimalSI keeps
                // this total.
                _ => format = Format::DecimalSI,
            }
        }
        let mut out = String::new();
        let exponent = match self.repr {
            GoRepr::Int64 { value, scale } => {
                let (amount, exponent) = int64_canonical(value, scale);
                out.push_str(&amount.to_string());
                i64::from(exponent)
            }
            GoRepr::InfDec { .. } => {
                // `infDecAmount.AsCanonicalBytes`: strip factors of ten (the coefficient is
                // already stripped), then lower the exponent to a multiple of three.
                let exponent = self.value.exponent;
                let base_exponent = exponent - exponent.rem_euclid(3);
                if self.value.negative {
                    out.push('-');
                }
                out.extend(self.value.digits().iter().map(|&d| char::from(b'0' + d)));
                for _ in base_exponent..exponent {
                    out.push('0');
                }
                base_exponent
            }
        };
        push_decimal_suffix(&mut out, format, exponent);
        out
    }
}

/// Appends the suffix `quantitySuffixer.constructBytes(10, exponent, format)` yields.
fn push_decimal_suffix(out: &mut String, format: Format, exponent: i64) {
    match format {
        // v1.34 ignores the lookup failure for exponents without a suffix (below -9 or
        // above 18) and prints no suffix at all: "1000E" prints as "1".
        Format::DecimalSI => out.push_str(decimal_si_suffix(exponent).unwrap_or("")),
        _ => {
            if exponent != 0 {
                out.push('e');
                out.push_str(&exponent.to_string());
            }
        }
    }
}

/// The DecimalSI suffix for a power of ten, if it has one.
fn decimal_si_suffix(exponent: i64) -> Option<&'static str> {
    Some(match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => return None,
    })
}

/// `AsCanonicalBase1024Bytes` plus the BinarySI suffix, for an integer of magnitude at
/// least 1024.
fn binary_si_string(integer: i128, int64_path: bool) -> String {
    // Go's `removeInt64Factors` negates a negative value first; negating MinInt64 wraps
    // to itself, which is not >= 1024, so -2^63 keeps all its factors and prints in full.
    if int64_path && integer == i128::from(i64::MIN) {
        return integer.to_string();
    }
    let mut amount = integer;
    let mut power = 0;
    while amount.unsigned_abs() >= 1024 && amount % 1024 == 0 {
        amount /= 1024;
        power += 1;
    }
    format!("{amount}{}", BINARY_SUFFIXES.get(power).copied().unwrap_or(""))
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(input: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(input)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.canonical_string())
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quantity")
            .field("string", &self.canonical_string())
            .field("format", &self.format)
            .field("repr", &self.repr)
            .finish()
    }
}

impl Default for Quantity {
    /// Zero in DecimalSI, which prints as `0`.
    fn default() -> Quantity {
        Quantity::new(0, Format::DecimalSI)
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.value == other.value
    }
}

impl Eq for Quantity {}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The decimal is normalised, so equal values hash equally.
        self.value.hash(state);
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    /// `Cmp`: exact numeric comparison.
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.value.cmp_value(&other.value)
    }
}

// ---------------------------------------------------------------------------------------
// Parsing (`parseQuantityString`, `ParseQuantity`, `fastLookup.interpret`).
// ---------------------------------------------------------------------------------------

/// The pieces `parseQuantityString` returns.
struct Scanned<'a> {
    /// False after a leading `-`.
    positive: bool,
    /// Sign and number as written (leading zeros, point), for the `inf.Dec` slow path.
    value: &'a [u8],
    /// Integer digits without leading zeros, or `"0"` when there are none.
    num: &'a [u8],
    /// Fraction digits, possibly empty (`1.` and `1.G` are legal).
    denom: &'a [u8],
    /// Everything after the number.
    suffix: &'a [u8],
}

/// `parseQuantityString`: a single pass splitting sign, number and suffix; `None` is
/// Go's `ErrFormatWrong`.
fn scan_quantity(s: &[u8]) -> Option<Scanned<'_>> {
    let end = s.len();
    let mut pos = 0;
    let mut positive = true;
    match s.first() {
        Some(b'-') => {
            positive = false;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    while pos < end && s[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Some(Scanned { positive, value: b"0", num: b"0", denom: b"", suffix: b"" });
    }
    let num_start = pos;
    while pos < end && s[pos].is_ascii_digit() {
        pos += 1;
    }
    let mut num = &s[num_start..pos];
    if pos >= end {
        return Some(Scanned { positive, value: s, num, denom: b"", suffix: b"" });
    }
    if num.is_empty() {
        num = b"0";
    }
    let mut denom: &[u8] = b"";
    if s[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && s[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[denom_start..pos];
        if pos >= end {
            return Some(Scanned { positive, value: s, num, denom, suffix: b"" });
        }
    }
    let value = &s[..pos];
    let suffix_start = pos;
    while pos < end && SUFFIX_LETTERS.contains(&s[pos]) {
        pos += 1;
    }
    if pos < end && (s[pos] == b'-' || s[pos] == b'+') {
        pos += 1;
    }
    while pos < end && s[pos].is_ascii_digit() {
        pos += 1;
    }
    // Anything after the exponent digits is a format error.
    (pos >= end).then(|| Scanned { positive, value, num, denom, suffix: &s[suffix_start..] })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    Ten,
    Two,
}

/// What `quantitySuffixer.interpret` makes of a suffix.
#[derive(Clone, Copy)]
struct Suffix {
    base: Base,
    /// Power of `base`; for `e<n>` Go truncates the int64 `n` to int32.
    exponent: i32,
    format: Format,
}

/// `quantitySuffixer.interpret`; `None` is Go's `ErrSuffix`.
fn interpret_suffix(suffix: &[u8]) -> Option<Suffix> {
    use Format::{BinarySI, DecimalExponent, DecimalSI};
    let (base, exponent, format) = match suffix {
        b"" => (Base::Ten, 0, DecimalSI),
        b"n" => (Base::Ten, -9, DecimalSI),
        b"u" => (Base::Ten, -6, DecimalSI),
        b"m" => (Base::Ten, -3, DecimalSI),
        b"k" => (Base::Ten, 3, DecimalSI),
        b"M" => (Base::Ten, 6, DecimalSI),
        b"G" => (Base::Ten, 9, DecimalSI),
        b"T" => (Base::Ten, 12, DecimalSI),
        b"P" => (Base::Ten, 15, DecimalSI),
        b"E" => (Base::Ten, 18, DecimalSI),
        b"Ki" => (Base::Two, 10, BinarySI),
        b"Mi" => (Base::Two, 20, BinarySI),
        b"Gi" => (Base::Two, 30, BinarySI),
        b"Ti" => (Base::Two, 40, BinarySI),
        b"Pi" => (Base::Two, 50, BinarySI),
        b"Ei" => (Base::Two, 60, BinarySI),
        // Go keeps `int32(parsed)`, so `1e4294967296` means 1e0 and
        // `1e9223372036854775807` means 1e-1.
        [b'e' | b'E', rest @ ..] if !rest.is_empty() => (Base::Ten, parse_go_int64(rest)? as i32, DecimalExponent),
        _ => return None,
    };
    Some(Suffix { base, exponent, format })
}

/// `strconv.ParseInt(text, 10, 64)`: optional sign, at least one digit, int64 range.
fn parse_go_int64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let limit: u64 = if negative { 1 << 63 } else { (1 << 63) - 1 };
    let mut magnitude: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
        if magnitude > limit {
            return None;
        }
    }
    // 2^63 reinterpreted is MinInt64, whose negation is itself, as wanted.
    let value = magnitude as i64;
    Some(if negative { value.wrapping_neg() } else { value })
}

/// The int64 fast path of `ParseQuantity`. `Ok(None)` hands over to the slow path.
fn parse_fast(input: &str, scanned: &Scanned<'_>, suffix: Suffix) -> Result<Option<Quantity>, QuantityError> {
    // Lengths and scales are int32 in Go and wrap the same way here.
    let digits_len = (scanned.num.len() + scanned.denom.len()) as i32;
    let (precision, mut scale, mantissa) = match suffix.format {
        Format::DecimalSI | Format::DecimalExponent => {
            (MAX_INT64_FACTORS.wrapping_sub(digits_len), suffix.exponent, 1i64)
        }
        Format::BinarySI => {
            if suffix.exponent >= 0 && scanned.denom.is_empty() {
                // Go estimates the decimal digits 2^exponent uses as exponent*3/10.
                let precision =
                    15i32.wrapping_sub(scanned.num.len() as i32).wrapping_sub(suffix.exponent * 3 / 10).wrapping_sub(1);
                (precision, 0, 1i64 << suffix.exponent)
            } else {
                (-1, 0, 1)
            }
        }
    };
    if precision < 0 {
        return Ok(None);
    }
    scale = scale.wrapping_sub(scanned.denom.len() as i32);
    if scale < NANO_EXPONENT {
        return Ok(None);
    }
    let value = parse_shifted_digits(scanned.num, scanned.denom).ok_or_else(|| QuantityError::numeric(input))?;
    let Some(magnitude) = int64_multiply(value, mantissa) else {
        return Ok(None);
    };
    let result = if scanned.positive { magnitude } else { -magnitude };
    // Go reuses the input as the canonical string when it already looks canonical.
    let canonical = match suffix.format {
        Format::BinarySI => suffix.exponent % 10 == 0 && value & 0x07 != 0,
        _ => scale % 3 == 0 && !shifted_ends_with_000(scanned.num, scanned.denom) && scanned.num.first() != Some(&b'0'),
    };
    let verbatim = canonical.then(|| Arc::from(input));
    Ok(Some(Quantity::from_int64_amount(result, scale, suffix.format, verbatim)))
}

/// `strconv.ParseInt(num+denom, 10, 64)` on digits the scanner already checked.
fn parse_shifted_digits(num: &[u8], denom: &[u8]) -> Option<i64> {
    let mut value: i64 = 0;
    for &byte in num.iter().chain(denom) {
        value = value.checked_mul(10)?.checked_add(i64::from(byte - b'0'))?;
    }
    Some(value)
}

/// `strings.HasSuffix(num+denom, "000")`.
fn shifted_ends_with_000(num: &[u8], denom: &[u8]) -> bool {
    let mut last_digits = num.iter().chain(denom).rev().take(3);
    last_digits.clone().count() == 3 && last_digits.all(|&b| b == b'0')
}

/// The `inf.Dec` slow path of `ParseQuantity`: exact value, rounding up to nano, the
/// BinarySI cap at 2^63-1 and the relabelling of small BinarySI values as DecimalSI.
fn parse_slow(input: &str, scanned: &Scanned<'_>, suffix: Suffix) -> Result<Quantity, QuantityError> {
    let (negative, int_digits, frac_digits) =
        split_inf_number(scanned.value).ok_or_else(|| QuantityError::numeric(input))?;
    // `inf.Dec.SetString` gives the scale as the number of fraction digits; base-10
    // suffixes then shift it, in wrapping int32 like Go.
    let mut inf_scale = frac_digits.len() as i32;
    if suffix.base == Base::Ten {
        inf_scale = inf_scale.wrapping_add(suffix.exponent.wrapping_neg());
    }
    let digits: Vec<u8> = int_digits.iter().chain(frac_digits).map(|&b| b - b'0').collect();
    let mut magnitude = Decimal::from_digits(false, &digits, -i64::from(inf_scale));
    if suffix.base == Base::Two {
        // BinarySI exponents are 10..=60, so the multiplier fits a u64.
        magnitude = magnitude.mul_pow2(suffix.exponent.unsigned_abs().min(60));
    }
    let mut dec_scale = inf_scale;
    if !magnitude.is_zero() {
        // `inf.Dec.Round` to scale 9 multiplies or divides by 10^|9 - scale|.
        let shift = i64::from(-NANO_EXPONENT) - i64::from(inf_scale);
        if shift.abs() > MAX_ROUNDING_SHIFT_DIGITS {
            return Err(QuantityError::ExponentTooLarge { input: excerpt(input) });
        }
        magnitude = magnitude.round_up_magnitude(i64::from(NANO_EXPONENT));
        dec_scale = -NANO_EXPONENT;
    }
    let mut format = suffix.format;
    if format == Format::BinarySI {
        let max = Decimal::from_i128(i128::from(i64::MAX), 0);
        if magnitude.cmp_value(&max) == Ordering::Greater {
            magnitude = max;
            dec_scale = 0;
        }
        if !magnitude.is_zero() && magnitude.cmp_value(&Decimal::from_i128(1, 0)) == Ordering::Less {
            format = Format::DecimalSI;
        }
    }
    Ok(Quantity {
        value: magnitude.with_sign(negative),
        repr: GoRepr::InfDec { scale: dec_scale },
        format,
        verbatim: None,
    })
}

/// What `inf.Dec.SetString` reads from the scanner's `value`: sign, integer digits and
/// fraction digits. `None` when there is no digit at all, which Go reports as
/// `ErrNumeric`.
fn split_inf_number(value: &[u8]) -> Option<(bool, &[u8], &[u8])> {
    let (negative, rest) = match value {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, value),
    };
    let (int_digits, frac_digits) = match rest.iter().position(|&b| b == b'.') {
        Some(point) => (&rest[..point], &rest[point + 1..]),
        None => (rest, &[][..]),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    Some((negative, int_digits, frac_digits))
}

// ---------------------------------------------------------------------------------------
// Go's int64 arithmetic (`math.go`, `amount.go`), overflow behaviour included.
// ---------------------------------------------------------------------------------------

/// `int64Multiply`: `a*b`, or `None` on overflow.
fn int64_multiply(a: i64, b: i64) -> Option<i64> {
    if a == 0 || b == 0 || a == 1 || b == 1 {
        return Some(a * b);
    }
    if a == i64::MIN || b == i64::MIN {
        return None;
    }
    a.checked_mul(b)
}

/// `int64MultiplyScale` (and its `10`, `100`, `1000` variants): the possibly wrapped
/// product and whether it is exact. MinInt64 yields 0.
fn int64_multiply_scale(a: i64, b: i64) -> (i64, bool) {
    if a == 0 || a == 1 {
        return (a * b, true);
    }
    if a == i64::MIN {
        return (0, false);
    }
    (a.wrapping_mul(b), a.checked_mul(b).is_some())
}

/// `positiveScaleInt64`: `base * 10^scale`. On overflow Go returns the wrapped product
/// for scales 1, 2, 3, 6 and 9 and 0 for the others; a negative scale leaves `base`.
fn positive_scale_int64(base: i64, scale: i32) -> (i64, bool) {
    match scale {
        0 => (base, true),
        1 => int64_multiply_scale(base, 10),
        2 => int64_multiply_scale(base, 100),
        3 => int64_multiply_scale(base, 1000),
        6 => int64_multiply_scale(base, 1_000_000),
        9 => int64_multiply_scale(base, 1_000_000_000),
        _ => {
            // Go multiplies by ten `scale` times; zero would loop for nothing, and any
            // other value overflows within 19 steps.
            if base == 0 {
                return (0, true);
            }
            let mut value = base;
            for _ in 0..scale {
                match int64_multiply_scale(value, 10) {
                    (next, true) => value = next,
                    (_, false) => return (0, false),
                }
            }
            (value, true)
        }
    }
}

/// `negativeScaleInt64`: `base / 10^scale` rounded away from zero, and whether it was
/// exact. A negative scale leaves `base` unchanged, as in Go.
fn negative_scale_int64(base: i64, scale: i32) -> (i64, bool) {
    if scale == 0 {
        return (base, true);
    }
    let away = if base > 0 { 1 } else { -1 };
    let mut value = base;
    let mut fraction = false;
    let mut step = 0;
    // The value reaches zero within 19 steps, which ends the loop early.
    while step < scale {
        if !fraction && value % 10 != 0 {
            fraction = true;
        }
        value /= 10;
        if value == 0 {
            return if fraction { (away, false) } else { (0, true) };
        }
        step += 1;
    }
    if fraction {
        value += away;
    }
    (value, !fraction)
}

/// `removeInt64Factors`: divides out `base` while possible. The magnitude is taken with
/// a wrapping negation, so MinInt64 keeps all its factors, as in Go.
fn remove_int64_factors(value: i64, base: i64) -> (i64, i32) {
    let negative = value < 0;
    let mut result = if negative { value.wrapping_neg() } else { value };
    let mut times = 0;
    while result >= base && result % base == 0 {
        times += 1;
        result /= base;
    }
    (if negative { result.wrapping_neg() } else { result }, times)
}

/// `int64Amount.AsScaledInt64` as `ScaledValue` uses it (the ok flag is ignored).
fn int64_scaled_value(value: i64, amount_scale: i32, scale: i32) -> i64 {
    if amount_scale < scale {
        negative_scale_int64(value, scale.wrapping_sub(amount_scale)).0
    } else {
        positive_scale_int64(value, amount_scale.wrapping_sub(scale)).0
    }
}

/// `int64Amount.AsCanonicalBytes`: mantissa and an exponent that is a multiple of three
/// (in Go's truncated-remainder sense), with int32 wrapping; falls back to the `inf.Dec`
/// algorithm when the mantissa would overflow.
fn int64_canonical(value: i64, scale: i32) -> (i128, i32) {
    let (amount, times) = remove_int64_factors(value, 10);
    let exponent = scale.wrapping_add(times);
    let adjusted = match exponent % 3 {
        1 | -2 => match int64_multiply_scale(amount, 10) {
            (product, true) => Some((product, exponent.wrapping_sub(1))),
            _ => None,
        },
        2 | -1 => match int64_multiply_scale(amount, 100) {
            (product, true) => Some((product, exponent.wrapping_sub(2))),
            _ => None,
        },
        _ => Some((amount, exponent)),
    };
    match adjusted {
        Some((amount, exponent)) => (i128::from(amount), exponent),
        None => infdec_canonical_small(i128::from(value), scale),
    }
}

/// `infDecAmount.AsCanonicalBytes` for an unscaled value that fits an i128, with Go's
/// int32 exponent arithmetic.
fn infdec_canonical_small(value: i128, scale_exponent: i32) -> (i128, i32) {
    let mut amount = value;
    let mut times: i32 = 0;
    while amount != 0 && amount % 10 == 0 {
        amount /= 10;
        times += 1;
    }
    let mut exponent = scale_exponent.wrapping_add(times);
    // At most four steps even when the exponent wraps around int32.
    while exponent % 3 != 0 {
        amount = amount.saturating_mul(10);
        exponent = exponent.wrapping_sub(1);
    }
    (amount, exponent)
}

/// `scaledValue` (scale_int.go) for a quantity held as an `inf.Dec` with the given scale.
fn infdec_scaled_value(value: &Decimal, dec_scale: i32, scale: i32) -> i64 {
    if value.is_zero() {
        return 0;
    }
    let new_scale = i64::from(scale.wrapping_neg());
    let dif = i64::from(dec_scale) - new_scale;
    let unscaled_shift = i64::from(dec_scale);
    // `big.Int.Int64()`: the low 64 bits of the magnitude, negated for negative values.
    let signed = |magnitude_low: u64| -> i64 {
        let low = magnitude_low as i64;
        if value.negative { low.wrapping_neg() } else { low }
    };
    match dif.cmp(&0) {
        Ordering::Equal => signed(value.low64_scaled(unscaled_shift).0),
        Ordering::Less => signed(value.low64_scaled(unscaled_shift).0).wrapping_mul(go_pow10_as_int64(-dif)),
        Ordering::Greater => {
            if dif < 19 && value.magnitude_scaled_below_i64_max(unscaled_shift) {
                // Go's int64 branch: truncating division, plus one for any remainder,
                // whatever the sign (so -1.5 becomes 0 here).
                let unscaled = signed(value.low64_scaled(unscaled_shift).0);
                let divisor = POW10_U128[dif as usize] as i64;
                let result = unscaled / divisor;
                if unscaled % divisor != 0 { result + 1 } else { result }
            } else {
                // Go's big.Int branch: Euclidean `DivMod` (floor), plus one for any remainder.
                let (quotient_low, remainder) = value.low64_scaled(unscaled_shift - dif);
                let floor = if value.negative {
                    (quotient_low.wrapping_add(u64::from(remainder)) as i64).wrapping_neg()
                } else {
                    quotient_low as i64
                };
                floor.wrapping_add(i64::from(remainder))
            }
        }
    }
}

/// `int64(math.Pow10(n))` for n >= 1: exact up to 10^18; larger powers do not fit and
/// convert to MinInt64 on amd64.
fn go_pow10_as_int64(n: i64) -> i64 {
    if (1..=18).contains(&n) { POW10_U128[n as usize] as i64 } else { i64::MIN }
}

// ---------------------------------------------------------------------------------------
// Exact decimals.
// ---------------------------------------------------------------------------------------

/// The coefficient of a [`Decimal`]: inline while it has at most [`SMALL_DIGITS_MAX`]
/// digits, otherwise its digits (values 0..=9, most significant first).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Coefficient {
    Small(u128),
    Big(Arc<[u8]>),
}

/// An exact decimal `±coefficient * 10^exponent`, normalised so that equal values are
/// equal structs: the coefficient has no trailing zero digit, zero is `+0 * 10^0`, and
/// the `Small`/`Big` choice depends only on the number of digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Decimal {
    negative: bool,
    coefficient: Coefficient,
    exponent: i64,
}

/// Decimal digits of a coefficient, borrowed or written into an inline buffer.
enum Digits<'a> {
    Inline([u8; U128_DIGITS_MAX], usize),
    Borrowed(&'a [u8]),
}

impl Deref for Digits<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Digits::Inline(buffer, start) => &buffer[*start..],
            Digits::Borrowed(digits) => digits,
        }
    }
}

impl Decimal {
    const ZERO: Decimal = Decimal { negative: false, coefficient: Coefficient::Small(0), exponent: 0 };

    fn from_i128(value: i128, exponent: i64) -> Decimal {
        Decimal::from_u128(value < 0, value.unsigned_abs(), exponent)
    }

    fn from_u128(negative: bool, coefficient: u128, exponent: i64) -> Decimal {
        if coefficient == 0 {
            return Decimal::ZERO;
        }
        let mut coefficient = coefficient;
        let mut exponent = exponent;
        // Most coefficients fit a u64, whose division is much cheaper.
        if let Ok(mut small) = u64::try_from(coefficient) {
            while small.is_multiple_of(10) {
                small /= 10;
                exponent += 1;
            }
            coefficient = u128::from(small);
        } else {
            while coefficient.is_multiple_of(10) {
                coefficient /= 10;
                exponent += 1;
            }
        }
        if coefficient < POW10_U128[SMALL_DIGITS_MAX] {
            Decimal { negative, coefficient: Coefficient::Small(coefficient), exponent }
        } else {
            let mut buffer = [0u8; U128_DIGITS_MAX];
            let start = write_u128_digits(coefficient, &mut buffer);
            Decimal::from_digits(negative, &buffer[start..], exponent)
        }
    }

    /// `±digits * 10^exponent` for digit values 0..=9, most significant first.
    fn from_digits(negative: bool, digits: &[u8], exponent: i64) -> Decimal {
        let Some(first) = digits.iter().position(|&d| d != 0) else {
            return Decimal::ZERO;
        };
        let last = digits.iter().rposition(|&d| d != 0).unwrap_or(first);
        let significant = &digits[first..=last];
        let exponent = exponent.saturating_add((digits.len() - 1 - last) as i64);
        let coefficient = if significant.len() <= SMALL_DIGITS_MAX {
            Coefficient::Small(significant.iter().fold(0u128, |acc, &d| acc * 10 + u128::from(d)))
        } else {
            Coefficient::Big(Arc::from(significant))
        };
        Decimal { negative, coefficient, exponent }
    }

    fn is_zero(&self) -> bool {
        self.coefficient == Coefficient::Small(0)
    }

    fn signum(&self) -> i32 {
        if self.is_zero() {
            0
        } else if self.negative {
            -1
        } else {
            1
        }
    }

    fn with_sign(self, negative: bool) -> Decimal {
        if self.is_zero() { self } else { Decimal { negative, ..self } }
    }

    fn digit_count(&self) -> usize {
        match &self.coefficient {
            Coefficient::Small(0) => 0,
            Coefficient::Small(c) => c.ilog10() as usize + 1,
            Coefficient::Big(digits) => digits.len(),
        }
    }

    fn digits(&self) -> Digits<'_> {
        match &self.coefficient {
            Coefficient::Small(c) => {
                let mut buffer = [0u8; U128_DIGITS_MAX];
                let start = write_u128_digits(*c, &mut buffer);
                Digits::Inline(buffer, start)
            }
            Coefficient::Big(digits) => Digits::Borrowed(digits),
        }
    }

    /// Exact signed comparison.
    fn cmp_value(&self, other: &Decimal) -> Ordering {
        let (a, b) = (self.signum(), other.signum());
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self.cmp_magnitude(other);
        if a < 0 { magnitude.reverse() } else { magnitude }
    }

    /// Exact comparison of absolute values.
    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        let (len_a, len_b) = (self.digit_count(), other.digit_count());
        // The position of the leading digit decides unless it is the same.
        let top_a = self.exponent.saturating_add(len_a as i64);
        let top_b = other.exponent.saturating_add(len_b as i64);
        if top_a != top_b {
            return top_a.cmp(&top_b);
        }
        if let (Coefficient::Small(a), Coefficient::Small(b)) = (&self.coefficient, &other.coefficient) {
            // Padding the shorter coefficient to the longer one's length stays below 10^38.
            return if len_a < len_b {
                (a * POW10_U128[len_b - len_a]).cmp(b)
            } else {
                a.cmp(&(b * POW10_U128[len_a - len_b]))
            };
        }
        let (digits_a, digits_b) = (self.digits(), other.digits());
        let common = len_a.min(len_b);
        // With equal common digits the longer coefficient has a further non-zero digit.
        digits_a[..common].cmp(&digits_b[..common]).then(len_a.cmp(&len_b))
    }

    /// The value as an i128 when it is an integer of at most 38 digits.
    fn to_i128_exact(&self) -> Option<i128> {
        if self.is_zero() {
            return Some(0);
        }
        if self.exponent < 0 || self.exponent.saturating_add(self.digit_count() as i64) > SMALL_DIGITS_MAX as i64 {
            return None;
        }
        let Coefficient::Small(c) = self.coefficient else {
            return None;
        };
        let magnitude = i128::try_from(c * POW10_U128[self.exponent as usize]).ok()?;
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// Multiplies by 2^exponent, exponent at most 60.
    fn mul_pow2(&self, exponent: u32) -> Decimal {
        let factor = 1u64 << exponent.min(60);
        if let Coefficient::Small(c) = self.coefficient
            && let Some(product) = c.checked_mul(u128::from(factor))
        {
            return Decimal::from_u128(self.negative, product, self.exponent);
        }
        // Schoolbook multiplication by a single word: digit*factor + carry < 10*2^60 < 2^64.
        let digits = self.digits();
        let mut reversed = Vec::with_capacity(digits.len() + 20);
        let mut carry = 0u64;
        for &d in digits.iter().rev() {
            let t = u64::from(d) * factor + carry;
            reversed.push((t % 10) as u8);
            carry = t / 10;
        }
        while carry > 0 {
            reversed.push((carry % 10) as u8);
            carry /= 10;
        }
        reversed.reverse();
        Decimal::from_digits(self.negative, &reversed, self.exponent)
    }

    /// Rounds away from zero to a multiple of 10^min_exponent (`inf.RoundUp`).
    fn round_up_magnitude(&self, min_exponent: i64) -> Decimal {
        if self.is_zero() || self.exponent >= min_exponent {
            return self.clone();
        }
        let dropped = min_exponent - self.exponent;
        let digits = self.digits();
        let kept_len = digits.len() as i64 - dropped;
        if kept_len <= 0 {
            return Decimal { negative: self.negative, coefficient: Coefficient::Small(1), exponent: min_exponent };
        }
        // The dropped digits end with the coefficient's last digit, which is never zero,
        // so the remainder is non-zero and the kept digits go up by one.
        let mut kept = digits[..kept_len as usize].to_vec();
        increment_digits(&mut kept);
        Decimal::from_digits(self.negative, &kept, min_exponent)
    }

    /// The low 64 bits of the coefficient.
    fn coefficient_low64(&self) -> u64 {
        match &self.coefficient {
            Coefficient::Small(c) => *c as u64,
            Coefficient::Big(digits) => low64_of_digits(digits),
        }
    }

    /// The low 64 bits of `floor(|self| * 10^shift)`, and whether the floor dropped a
    /// non-zero remainder.
    fn low64_scaled(&self, shift: i64) -> (u64, bool) {
        if self.is_zero() {
            return (0, false);
        }
        let zeros = self.exponent.saturating_add(shift);
        if zeros >= 0 {
            return (self.coefficient_low64().wrapping_mul(pow10_mod_2_64(zeros)), false);
        }
        let digits = self.digits();
        let kept_len = digits.len() as i64 + zeros;
        if kept_len <= 0 {
            return (0, true);
        }
        (low64_of_digits(&digits[..kept_len as usize]), true)
    }

    /// Whether `|self| * 10^shift < 2^63 - 1`.
    fn magnitude_scaled_below_i64_max(&self, shift: i64) -> bool {
        let bound = Decimal::from_i128(i128::from(i64::MAX), shift.saturating_neg());
        self.cmp_magnitude(&bound) == Ordering::Less
    }
}

/// Writes the decimal digits (values 0..=9) of `value` to the end of `buffer` and
/// returns where they start; zero is one digit.
fn write_u128_digits(value: u128, buffer: &mut [u8; U128_DIGITS_MAX]) -> usize {
    const CHUNK: u128 = 10_000_000_000_000_000_000;
    let mut start = U128_DIGITS_MAX;
    let mut rest = value;
    loop {
        // Splitting into 19-digit chunks keeps the per-digit work in u64.
        let mut chunk = (rest % CHUNK) as u64;
        rest /= CHUNK;
        if rest == 0 {
            loop {
                start -= 1;
                buffer[start] = (chunk % 10) as u8;
                chunk /= 10;
                if chunk == 0 {
                    return start;
                }
            }
        }
        for _ in 0..19 {
            start -= 1;
            buffer[start] = (chunk % 10) as u8;
            chunk /= 10;
        }
    }
}

/// Adds one to a digit string, growing it on a carry out of the top digit.
fn increment_digits(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

/// The low 64 bits of the integer a digit string spells.
fn low64_of_digits(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &d| acc.wrapping_mul(10).wrapping_add(u64::from(d)))
}

/// 10^n modulo 2^64 for n >= 0; 2^64 divides 10^64, so large powers are zero.
fn pow10_mod_2_64(n: i64) -> u64 {
    if n >= 64 { 0 } else { 10u64.wrapping_pow(n as u32) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    use Format::{BinarySI, DecimalExponent, DecimalSI};

    fn q(input: &str) -> Quantity {
        Quantity::parse(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    fn hash_of(quantity: &Quantity) -> u64 {
        let mut hasher = DefaultHasher::new();
        quantity.hash(&mut hasher);
        hasher.finish()
    }

    const MAX: i128 = i64::MAX as i128;

    /// Inputs, exact values `mantissa * 10^exponent` and formats, mostly from upstream's
    /// `TestQuantityParse`.
    const PARSE_CASES: &[(&str, i128, i64, Format)] = &[
        ("0", 0, 0, DecimalSI),
        ("0n", 0, 0, DecimalSI),
        ("0u", 0, 0, DecimalSI),
        ("0m", 0, 0, DecimalSI),
        ("0Ki", 0, 0, BinarySI),
        ("0k", 0, 0, DecimalSI),
        ("0Mi", 0, 0, BinarySI),
        ("0M", 0, 0, DecimalSI),
        ("0Gi", 0, 0, BinarySI),
        ("0G", 0, 0, DecimalSI),
        ("0Ti", 0, 0, BinarySI),
        ("0T", 0, 0, DecimalSI),
        ("0Ei", 0, 0, BinarySI),
        ("1", 1, 0, DecimalSI),
        ("1Ki", 1024, 0, BinarySI),
        ("8Ki", 8 * 1024, 0, BinarySI),
        ("7Mi", 7 << 20, 0, BinarySI),
        ("6Gi", 6 << 30, 0, BinarySI),
        ("5Ti", 5 << 40, 0, BinarySI),
        ("4Pi", 4 << 50, 0, BinarySI),
        ("3Ei", 3 << 60, 0, BinarySI),
        ("10Ti", 10 << 40, 0, BinarySI),
        ("100Ti", 100 << 40, 0, BinarySI),
        ("5n", 5, -9, DecimalSI),
        ("4u", 4, -6, DecimalSI),
        ("3m", 3, -3, DecimalSI),
        ("9", 9, 0, DecimalSI),
        ("8k", 8, 3, DecimalSI),
        ("50k", 5, 4, DecimalSI),
        ("7M", 7, 6, DecimalSI),
        ("6G", 6, 9, DecimalSI),
        ("5T", 5, 12, DecimalSI),
        ("40T", 4, 13, DecimalSI),
        ("300T", 3, 14, DecimalSI),
        ("2P", 2, 15, DecimalSI),
        ("1E", 1, 18, DecimalSI),
        ("1E-3", 1, -3, DecimalExponent),
        ("1e3", 1, 3, DecimalExponent),
        ("1E6", 1, 6, DecimalExponent),
        ("1e9", 1, 9, DecimalExponent),
        ("1E12", 1, 12, DecimalExponent),
        ("1e15", 1, 15, DecimalExponent),
        ("1E18", 1, 18, DecimalExponent),
        ("1e14", 1, 14, DecimalExponent),
        ("1e13", 1, 13, DecimalExponent),
        ("1e+3", 1, 3, DecimalExponent),
        ("1e03", 1, 3, DecimalExponent),
        ("100.035k", 100035, 0, DecimalSI),
        ("0.001", 1, -3, DecimalSI),
        ("0.0005k", 5, -1, DecimalSI),
        ("0.005", 5, -3, DecimalSI),
        ("0.05", 5, -2, DecimalSI),
        ("0.5", 5, -1, DecimalSI),
        ("0.00050k", 5, -1, DecimalSI),
        ("0.00500", 5, -3, DecimalSI),
        ("0.05000", 5, -2, DecimalSI),
        ("0.50000", 5, -1, DecimalSI),
        ("0.5e0", 5, -1, DecimalExponent),
        ("0.5e-1", 5, -2, DecimalExponent),
        ("0.5e-2", 5, -3, DecimalExponent),
        ("10.035M", 10035, 3, DecimalSI),
        ("1.2e3", 12, 2, DecimalExponent),
        ("1.3E+6", 13, 5, DecimalExponent),
        ("1.40e9", 14, 8, DecimalExponent),
        ("1.53E12", 153, 10, DecimalExponent),
        ("1.6e15", 16, 14, DecimalExponent),
        ("1.7E18", 17, 17, DecimalExponent),
        ("9.01", 901, -2, DecimalSI),
        ("8.1k", 81, 2, DecimalSI),
        ("7.123456M", 7123456, 0, DecimalSI),
        ("6.987654321G", 6987654321, 0, DecimalSI),
        ("5.444T", 5444, 9, DecimalSI),
        ("40.1T", 401, 11, DecimalSI),
        ("300.2T", 3002, 11, DecimalSI),
        ("2.5P", 25, 14, DecimalSI),
        ("1.01E", 101, 16, DecimalSI),
        // Rounding up to nano.
        ("3.001n", 4, -9, DecimalSI),
        ("1.1E-9", 2, -9, DecimalExponent),
        ("0.0000000001", 1, -9, DecimalSI),
        ("0.0000000005", 1, -9, DecimalSI),
        ("0.00000000050", 1, -9, DecimalSI),
        ("0.5e-9", 1, -9, DecimalExponent),
        ("0.9n", 1, -9, DecimalSI),
        ("0.00000012345", 124, -9, DecimalSI),
        ("0.00000012354", 124, -9, DecimalSI),
        ("1e-12", 1, -9, DecimalExponent),
        ("1e-10", 1, -9, DecimalExponent),
        ("1.5e-9", 2, -9, DecimalExponent),
        ("0.0000000019999", 2, -9, DecimalSI),
        ("999.9999999999n", 1, -6, DecimalSI),
        // The BinarySI cap; decimal values are not capped.
        ("9Ei", MAX, 0, BinarySI),
        ("8Ei", MAX, 0, BinarySI),
        ("9223372036854775807Ki", MAX, 0, BinarySI),
        ("12E", 12, 18, DecimalSI),
        ("10E", 1, 19, DecimalSI),
        ("9223372036854775807", MAX, 0, DecimalSI),
        ("9223372036854775808", MAX + 1, 0, DecimalSI),
        ("1e30", 1, 30, DecimalExponent),
        ("123456789012345678901234567890", 12345678901234567890123456789, 1, DecimalSI),
        // Fractional binary values.
        ("100.035Ki", 10243584, -2, BinarySI),
        ("0.5Mi", 512 * 1024, 0, BinarySI),
        ("0.05Gi", 536870912, -1, BinarySI),
        ("0.025Ti", 274877906944, -1, BinarySI),
        ("1.5Ei", 1729382256910270464, 0, BinarySI),
        ("1.5Gi", 1536 << 20, 0, BinarySI),
        ("1.1Ki", 11264, -1, BinarySI),
        ("1Pi", 1 << 50, 0, BinarySI),
        // Written by trolls.
        ("0.000000000001Ki", 2, -9, DecimalSI),
        (".001", 1, -3, DecimalSI),
        (".0001k", 1, -1, DecimalSI),
        ("1.", 1, 0, DecimalSI),
        ("1.G", 1, 9, DecimalSI),
        (".5", 5, -1, DecimalSI),
        ("01", 1, 0, DecimalSI),
        ("0001.5Ki", 1536, 0, BinarySI),
        ("00", 0, 0, DecimalSI),
        ("0.0", 0, 0, DecimalSI),
        ("00e-10", 0, 0, DecimalExponent),
        (".", 0, 0, DecimalSI),
        ("m", 0, 0, DecimalSI),
        ("k", 0, 0, DecimalSI),
        ("E", 0, 0, DecimalSI),
        ("Ki", 0, 0, BinarySI),
        ("Ti", 0, 0, BinarySI),
        ("e3", 0, 0, DecimalExponent),
        (".Ki", 0, 0, BinarySI),
        ("0e-99999999999", 0, 0, DecimalExponent),
        // Go truncates exponents to int32 and wraps its int32 scale arithmetic.
        ("1e4294967296", 1, 0, DecimalExponent),
        ("1e9223372036854775807", 1, -1, DecimalExponent),
        ("1e2147483647", 1, 2147483647, DecimalExponent),
        ("1e999999999", 1, 999999999, DecimalExponent),
        ("1.5e-2147483648", 15, 2147483647, DecimalExponent),
        // Slow path right at the rounding limit.
        ("1e-100000009", 1, -9, DecimalExponent),
        ("1234567890123456789e99999991", 1234567890123456789, 99999991, DecimalExponent),
    ];

    #[test]
    fn parses_to_exact_values_and_formats() {
        for &(input, mantissa, exponent, format) in PARSE_CASES {
            let expected = Decimal::from_i128(mantissa, exponent);
            for (prefix, sign) in [("", 1), ("+", 1), ("-", -1)] {
                let text = format!("{prefix}{input}");
                let got = q(&text);
                assert_eq!(got.value, Decimal::from_i128(sign * mantissa, exponent), "{text:?}");
                assert_eq!(got.format(), format, "format of {text:?}");
                assert_eq!(got.sign(), (sign * mantissa).signum() as i32, "sign of {text:?}");
                assert_eq!(got.is_zero(), mantissa == 0, "is_zero of {text:?}");
            }
            assert_eq!(q(input).value, expected);
        }
    }

    #[test]
    fn chooses_go_representation() {
        // The fast path keeps int64Amount{value, scale} exactly as Go does.
        let cases: &[(&str, Option<(i64, i32)>)] = &[
            ("100m", Some((100, -3))),
            ("1.5", Some((15, -1))),
            ("1Ki", Some((1024, 0))),
            ("12E", Some((12, 18))),
            ("1000m", Some((1000, -3))),
            ("-0.5e-1", Some((-5, -2))),
            ("123456789012345678", Some((123456789012345678, 0))),
            ("1234567890123456789", None),
            ("1Pi", None),
            ("1.5Ki", None),
            ("0.5n", None),
            ("1e-10", None),
        ];
        for &(input, expected) in cases {
            let got = match q(input).repr {
                GoRepr::Int64 { value, scale } => Some((value, scale)),
                GoRepr::InfDec { .. } => None,
            };
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn rejects_malformed_input() {
        let format_wrong = [
            "", " 1", "1 ", " ", "1.2.3", "1.1.M", "1e3m", "0x10", "1+1.0M", "aoeu", "0.1am", "1KI", "1,5", "1_000",
            "1e3 ", "\t1", "1Gi\n", "1µ", "1e-3.5", "Ki1m", "1KiB", "1Gb",
        ];
        for input in format_wrong {
            assert_eq!(
                Quantity::parse(input),
                Err(QuantityError::FormatWrong { input: input.to_owned() }),
                "{input:?}"
            );
        }
        let suffix = [
            "--1",
            "K",
            "ki",
            "1K",
            "1k5",
            "0.1mi",
            ".5i",
            "1i",
            "-3.01i",
            "-3.01e-",
            "1e",
            "1e+",
            "1E+",
            "1ee3",
            "1eE3",
            "1Kii",
            "1+",
            "1-5",
            "1e9223372036854775808",
            "1e-9223372036854775809",
            "1mm",
        ];
        for input in suffix {
            assert_eq!(Quantity::parse(input), Err(QuantityError::Suffix { input: input.to_owned() }), "{input:?}");
        }
        let numeric = ["e-10", ".e-10", "-e-10", "+.e-10", "Ei", "Pi", ".Ei", "-Ei", "-.Pi", "n-1"];
        for input in numeric {
            let expected = QuantityError::Numeric { input: input.to_owned() };
            // "n-1" is the suffix n-1, which is not a suffix at all.
            if input == "n-1" {
                assert_eq!(Quantity::parse(input), Err(QuantityError::Suffix { input: input.to_owned() }));
                continue;
            }
            assert_eq!(Quantity::parse(input), Err(expected), "{input:?}");
        }
        let too_large = [
            "1e-99999999999",
            "1e2147483648",
            "1e-1000000000",
            "1e-100000010",
            "5e-2147483648",
            "1e-2147483648",
            "1234567890123456789e99999992",
            "12345678901234567890e999999999",
        ];
        for input in too_large {
            assert_eq!(
                Quantity::parse(input),
                Err(QuantityError::ExponentTooLarge { input: input.to_owned() }),
                "{input:?}"
            );
        }
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        let message = |input: &str| Quantity::parse(input).map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            message("1.2.3"),
            "quantity \"1.2.3\": quantities must match the regular expression \
             '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (write a number and an optional suffix \
             with no spaces, e.g. 100m, 1.5Gi or 2e3)"
        );
        assert_eq!(
            message("1K"),
            "quantity \"1K\": unable to parse quantity's suffix (expected a number followed by one of \
             n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or e<exponent>)"
        );
        assert!(message("Ei").starts_with("quantity \"Ei\": unable to parse numeric part of quantity"));
        assert!(message("1e-99999999999").contains("exponent too large"));
        assert!(message(" 1").starts_with("quantity \" 1\""));
        // Hostile inputs are shortened in the error.
        let long = format!("{}x", "1".repeat(1_000_000));
        let long_message = message(&long);
        assert!(long_message.len() < 400, "{}", long_message.len());
        assert!(long_message.contains("..."));
        let error = Quantity::parse("K").map(|_| ()).unwrap_err();
        let _: &dyn std::error::Error = &error;
        assert_eq!(error.clone(), error);
    }

    /// Parsed input and Kubernetes' `String()` output.
    const DISPLAY_CASES: &[(&str, &str)] = &[
        // Canonical input is printed verbatim, quirks included.
        ("0", "0"),
        ("1", "1"),
        ("100m", "100m"),
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("+5", "+5"),
        ("01", "01"),
        ("-0001Ki", "-0001Ki"),
        ("1E3", "1E3"),
        ("1e+3", "1e+3"),
        ("1e03", "1e03"),
        ("1.e3", "1.e3"),
        ("1.500", "1.500"),
        ("1.", "1."),
        ("1.G", "1.G"),
        ("10E", "10E"),
        ("12E", "12E"),
        ("1023Ki", "1023Ki"),
        ("100e-3", "100e-3"),
        ("1e30", "1e30"),
        ("1e999999999", "1e999999999"),
        ("1e4294967296", "1e4294967296"),
        // Canonical forms.
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("2048Ki", "2Mi"),
        ("8Ki", "8Ki"),
        ("1024Ki", "1Mi"),
        ("1040Ki", "1040Ki"),
        ("1.5Ki", "1536"),
        ("1.1Ki", "1126400m"),
        ("0.5Ki", "512"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("1Pi", "1Pi"),
        ("1Ei", "1Ei"),
        ("1.5Ei", "1536Pi"),
        ("9Ei", "9223372036854775807"),
        ("8Ei", "9223372036854775807"),
        ("1.5", "1500m"),
        ("0.5", "500m"),
        (".5", "500m"),
        ("1000M", "1G"),
        ("1000m", "1"),
        ("10000m", "10"),
        ("1000000000n", "1"),
        ("0.1m", "100u"),
        ("0.001", "1m"),
        ("1.08", "1080m"),
        ("1080000000n", "1080m"),
        ("0.001T", "1G"),
        ("300000000", "300M"),
        ("1234567M", "1234567M"),
        ("1000u", "1m"),
        ("5000m", "5"),
        ("307200Ki", "300Mi"),
        ("1025024Mi", "1001Gi"),
        ("1024Gi", "1Ti"),
        ("1080u", "1080u"),
        ("10800e-4", "1080e-3"),
        ("80e-3", "80e-3"),
        ("300e6", "300e6"),
        ("1500", "1500"),
        ("15000", "15k"),
        ("0.5e-1", "50e-3"),
        ("0.001e0", "1e-3"),
        ("1000e-12", "1e-9"),
        (".001e12", "1e9"),
        ("10e29", "1e30"),
        ("1000e-3", "1"),
        ("1e-10", "1e-9"),
        ("1e-12", "1e-9"),
        ("0.0000000001", "1n"),
        ("3.001n", "4n"),
        ("0.00000012345", "124n"),
        ("0.5n", "1n"),
        ("1.5e-9", "2e-9"),
        ("1e9223372036854775807", "100e-3"),
        ("9223372036854775808", "9223372036854775808"),
        ("1234567890123456789", "1234567890123456789"),
        ("12345678901234567890", "12345678901234567890"),
        ("12345678901234567890E", "12345678901234567890E"),
        ("123456789012345678901", "123456789012345678901"),
        ("1234567890123456789e5", "123456789012345678900e3"),
        ("1234567890123456789e99999991", "12345678901234567890e99999990"),
        ("1.5e-2147483648", "150e2147483646"),
        ("10e2147483647", "10e2147483647"),
        ("1000e2147483647", "1e-2147483646"),
        // DecimalSI exponents beyond E have no suffix in v1.34.
        ("1000E", "1"),
        ("10000E", "10"),
        ("100000E", "100"),
        ("1234567890123456789000E", "1234567890123456789"),
        // Negative values and zeros.
        ("-5", "-5"),
        ("-1.5", "-1500m"),
        ("-1024Mi", "-1Gi"),
        ("-1.5Gi", "-1536Mi"),
        ("-0.1m", "-100u"),
        ("-0.5e-1", "-50e-3"),
        ("-1000E", "-1"),
        ("-9Ei", "-9223372036854775807"),
        ("-.000000000001Ki", "-2n"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("-0Ki", "0"),
        ("-0e3", "0"),
        ("+0", "0"),
        ("00", "0"),
        ("0.0", "0"),
        ("0Ki", "0"),
        ("0e5", "0"),
        (".", "0"),
        ("-.", "0"),
        ("+", "0"),
        ("-", "0"),
        ("m", "0"),
        ("Ki", "0"),
        ("e3", "0"),
    ];

    #[test]
    fn display_matches_kubernetes_string() {
        for &(input, expected) in DISPLAY_CASES {
            assert_eq!(q(input).to_string(), expected, "String() of {input:?}");
        }
        // Padding works as for any string.
        assert_eq!(format!("[{:>6}]", q("100m")), "[  100m]");
        assert_eq!(
            format!("{:?}", q("1.5Gi")),
            "Quantity { string: \"1536Mi\", format: BinarySI, repr: InfDec { scale: 9 } }"
        );
    }

    #[test]
    fn display_of_constructed_quantities() {
        // (value, milli, format, String()), from upstream's TestNewSet, TestMilliNewSet
        // and TestQuantityString.
        let cases: &[(i64, bool, Format, &str)] = &[
            (1, false, DecimalSI, "1"),
            (1000, false, DecimalSI, "1k"),
            (1234000, false, DecimalSI, "1234k"),
            (1024, false, BinarySI, "1Ki"),
            (1000000, false, DecimalExponent, "1e6"),
            (1024 * 1024, false, BinarySI, "1Mi"),
            (5, false, BinarySI, "5"),
            (1025, false, BinarySI, "1025"),
            (3000, false, BinarySI, "3000"),
            (-1000, false, DecimalSI, "-1k"),
            (-2048, false, BinarySI, "-2Ki"),
            (0, false, BinarySI, "0"),
            (0, false, DecimalExponent, "0"),
            (i64::MAX, false, DecimalSI, "9223372036854775807"),
            (i64::MAX, false, BinarySI, "9223372036854775807"),
            // removeInt64Factors cannot negate MinInt64, so it keeps its 1024 factors.
            (i64::MIN, false, BinarySI, "-9223372036854775808"),
            (i64::MIN, false, DecimalSI, "-9223372036854775808"),
            (i64::MIN, false, DecimalExponent, "-9223372036854775808"),
            (1, true, DecimalSI, "1m"),
            (1000, true, DecimalSI, "1"),
            (1234000, true, DecimalSI, "1234"),
            (1024, true, BinarySI, "1024m"),
            (1000000, true, DecimalExponent, "1e3"),
            (1024 * 1024, true, BinarySI, "1048576m"),
            (500, true, BinarySI, "500m"),
            (1234567, true, BinarySI, "1234567m"),
            (1024000, true, BinarySI, "1Ki"),
            (-1024000, true, BinarySI, "-1Ki"),
            (1500, true, DecimalSI, "1500m"),
            (10, true, DecimalSI, "10m"),
            (100, true, DecimalExponent, "100e-3"),
            (i64::MIN, true, DecimalSI, "-9223372036854775808m"),
            (i64::MAX, true, DecimalExponent, "9223372036854775807e-3"),
            // The mantissa 922337203685477580 * 100 overflows int64, so Go falls back to inf.Dec.
            (9223372036854775800, true, DecimalSI, "9223372036854775800m"),
            (9223372036854775800, false, DecimalSI, "9223372036854775800"),
        ];
        for &(value, milli, format, expected) in cases {
            let quantity = if milli { Quantity::new_milli(value, format) } else { Quantity::new(value, format) };
            assert_eq!(quantity.to_string(), expected, "{value} milli={milli} {format}");
            assert_eq!(quantity.format(), format);
        }
        assert_eq!(Quantity::default().to_string(), "0");
        assert_eq!(Quantity::default().format(), DecimalSI);
    }

    #[test]
    fn integer_accessors_round_up_like_go() {
        // (input, Value(), MilliValue())
        let cases: &[(&str, i64, i64)] = &[
            ("0", 0, 0),
            ("1", 1, 1000),
            ("100m", 1, 100),
            ("1.5", 2, 1500),
            ("1001m", 2, 1001),
            ("0.5n", 1, 1),
            ("1n", 1, 1),
            ("1u", 1, 1),
            ("1.0001m", 1, 2),
            ("1Ki", 1024, 1024000),
            ("1Mi", 1048576, 1048576000),
            ("1.5Gi", 1610612736, 1610612736000),
            ("1.1Ki", 1127, 1126400),
            ("1e3", 1000, 1000000),
            ("123456789012345678901e-20", 2, 1235),
            ("9223372036854775807", i64::MAX, -1000),
            ("9Ei", i64::MAX, -1000),
            // Int64 path: negative values round away from zero.
            ("-1.5", -2, -1500),
            ("-100m", -1, -100),
            ("-1.0001m", -1, -2),
            ("-1Ki", -1024, -1024000),
            // inf.Dec path: Go's int64 branch truncates and then adds one.
            ("-0.0001Ki", 1, -101),
            ("-1.5e-10", 1, 1),
            ("-0.5Ki", -512, -512000),
            // inf.Dec path with a big unscaled value: floor, then plus one.
            ("-9223372036854775808", i64::MIN, 0),
            ("-1234567890123456789.5", -1234567890123456789, 1363962815083168772),
            // Silent overflow as in Go.
            ("12E", 0, 0),
            ("10E", 0, 0),
            ("9223372036854775808", i64::MIN, 0),
            ("10000000000000000000000", 1864712049423024128, 1590897978359414784),
            ("1e2147483647", 0, 1),
            ("1e999999999", 0, 0),
            ("9223372036854775807k", -1000, -1000000),
            ("9223372036854775807000", -1000, -1000000),
        ];
        for &(input, value, milli) in cases {
            let quantity = q(input);
            assert_eq!(quantity.value(), value, "Value() of {input:?}");
            assert_eq!(quantity.milli_value(), milli, "MilliValue() of {input:?}");
            assert_eq!(quantity.scaled_value(0), value);
        }
    }

    #[test]
    fn scaled_value_matches_upstream_table() {
        // Upstream's TestScaledValue: NewScaledQuantity(1, from).ScaledValue(to).
        let cases: &[(i32, i32, i64)] = &[
            (-9, -9, 1),
            (-9, -6, 1),
            (-9, -3, 1),
            (-9, 0, 1),
            (-6, -9, 1000),
            (-6, -6, 1),
            (-6, -3, 1),
            (-6, 0, 1),
            (-3, -9, 1000 * 1000),
            (-3, -6, 1000),
            (-3, -3, 1),
            (-3, 0, 1),
            (0, -9, 1000 * 1000 * 1000),
            (0, -6, 1000 * 1000),
            (0, -3, 1000),
            (0, 0, 1),
            (2, -2, 100 * 100),
        ];
        for &(from, to, expected) in cases {
            let input = format!("1e{from}");
            assert_eq!(q(&input).scaled_value(to), expected, "{input} to {to}");
        }
        assert_eq!(q("1.5Ki").scaled_value(3), 2);
        assert_eq!(q("1.5Ki").scaled_value(-9), 1536000000000);
        assert_eq!(q("1Mi").scaled_value(-12), 1048576000000000000);
        // inf.Dec path scaling up past 10^18 goes through a float conversion in Go.
        assert_eq!(q("1Pi").scaled_value(-30), 0);
        // Go negates the scale in int32, so i32::MIN means units of 10^(2^31).
        assert_eq!(q("1.5Ki").scaled_value(i32::MIN), 1);
        assert_eq!(q("1.5Ki").scaled_value(i32::MAX), 1);
        assert_eq!(q("-1.5Ki").scaled_value(i32::MAX), 0);
        assert_eq!(q("5n").scaled_value(i32::MAX), 5);
        assert_eq!(q("5n").scaled_value(i32::MIN), 0);
    }

    #[test]
    fn checked_accessors_refuse_overflow() {
        let cases: &[(&str, Option<i64>, Option<i64>)] = &[
            ("0", Some(0), Some(0)),
            ("100m", Some(1), Some(100)),
            ("1.5", Some(2), Some(1500)),
            ("0.5n", Some(1), Some(1)),
            ("1Gi", Some(1 << 30), Some(1000 << 30)),
            ("9223372036854775807", Some(i64::MAX), None),
            ("9223372036854775808", None, None),
            ("-9223372036854775808", Some(i64::MIN), None),
            ("-9223372036854775809", None, None),
            ("9Ei", Some(i64::MAX), None),
            ("-9Ei", Some(-i64::MAX), None),
            ("9223372036854775807m", Some(9223372036854776), Some(i64::MAX)),
            ("9223372036854775.807", Some(9223372036854776), Some(i64::MAX)),
            ("9223372036854775.8071", Some(9223372036854776), None),
            ("9223372036854775806.5", Some(i64::MAX), None),
            ("1E", Some(1_000_000_000_000_000_000), None),
            ("10E", None, None),
            ("12E", None, None),
            ("1e2147483647", None, None),
            ("1e999999999", None, None),
            ("-0.0001Ki", Some(1), Some(-101)),
        ];
        for &(input, value, milli) in cases {
            let quantity = q(input);
            assert_eq!(quantity.checked_value(), value, "checked_value of {input:?}");
            assert_eq!(quantity.checked_milli_value(), milli, "checked_milli_value of {input:?}");
            if let Some(value) = value {
                assert_eq!(quantity.value(), value);
            }
        }
        assert_eq!(Quantity::new(i64::MIN, DecimalSI).checked_value(), Some(i64::MIN));
        assert_eq!(Quantity::new(-1, DecimalSI).checked_milli_value(), Some(-1000));
        assert_eq!(Quantity::new_milli(i64::MAX, DecimalSI).checked_milli_value(), Some(i64::MAX));
        assert_eq!(q("5n").checked_scaled_value(i32::MAX), None);
        assert_eq!(q("1.5Ki").checked_scaled_value(i32::MIN), None);
    }

    #[test]
    fn ordering_and_equality_are_exact_across_formats() {
        let equal = [
            ("1Ki", "1024"),
            ("1000m", "1"),
            ("1e3", "1k"),
            ("1E", "1e18"),
            ("1G", "1000M"),
            ("1Gi", "1024Mi"),
            ("0.5Ki", "512"),
            ("1e-9", "1n"),
            ("0", "-0"),
            ("0", "0Ki"),
            ("0", "0e9"),
            ("9Ei", "9223372036854775807"),
            ("1.5Gi", "1536Mi"),
            ("1000E", "1e21"),
            ("0.1m", "100u"),
            ("10E", "10000P"),
            ("-1.5", "-1500m"),
            ("123456789012345678901234567890", "123456789012345678901234567.89k"),
        ];
        for (a, b) in equal {
            let (qa, qb) = (q(a), q(b));
            assert_eq!(qa, qb, "{a} == {b}");
            assert_eq!(qa.cmp(&qb), Ordering::Equal, "{a} cmp {b}");
            assert_eq!(hash_of(&qa), hash_of(&qb), "hash {a} vs {b}");
        }
        let less = [
            ("50m", "100m"),
            ("100Gi", "10000T"),
            ("-1", "0"),
            ("0", "1n"),
            ("1n", "2n"),
            ("999m", "1"),
            ("1000", "1Ki"),
            ("1", "1.000000001"),
            ("9223372036854775807", "9223372036854775808"),
            ("9Ei", "1e999999999"),
            ("1n", "1e2147483647"),
            ("-1e2147483647", "-1n"),
            ("-2", "-1.5"),
            ("-1Ki", "-1000"),
            ("123456789012345678901234567890", "123456789012345678901234567891"),
            ("12345678901234567890123456789012345678901", "12345678901234567890123456789012345678902"),
            ("1234567890123456789012345678901234567890", "12345678901234567890123456789012345678901"),
            ("99999999999999999999999999999999999999", "100000000000000000000000000000000000000"),
            ("1e2147483647", "1.5e-2147483648"),
        ];
        for (a, b) in less {
            let (qa, qb) = (q(a), q(b));
            assert_eq!(qa.cmp(&qb), Ordering::Less, "{a} < {b}");
            assert_eq!(qb.cmp(&qa), Ordering::Greater, "{b} > {a}");
            assert!(qa < qb && qa != qb, "{a} < {b}");
        }
        let mut sorted: Vec<Quantity> = ["1Gi", "-1", "100m", "1G", "0", "1e-9", "2Ki", "1.5"].map(q).to_vec();
        sorted.sort();
        let printed: Vec<String> = sorted.iter().map(Quantity::to_string).collect();
        assert_eq!(printed, ["-1", "0", "1e-9", "100m", "1500m", "2Ki", "1G", "1Gi"]);
        assert_eq!(Quantity::new(1024, DecimalSI), q("1Ki"));
        assert_eq!(Quantity::new_milli(1500, BinarySI), q("1.5"));
    }

    #[test]
    fn hostile_inputs_finish_quickly() {
        // A megabyte of digits goes through the slow path and prints back unchanged.
        let digits: String = (0..1_000_000).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
        let big = q(&digits);
        assert_eq!(big.to_string(), digits);
        assert_eq!(big.format(), DecimalSI);
        assert_eq!(big.checked_value(), None);
        let _ = (big.value(), big.milli_value());
        assert!(big > q("9Ei"));
        let negative_big = q(&format!("-{digits}"));
        assert!(negative_big < big);
        assert_eq!(negative_big.to_string(), format!("-{digits}"));

        // 10^1000000: the v1.34 DecimalSI suffix quirk prints only the mantissa.
        let power = q(&format!("1{}", "0".repeat(1_000_000)));
        assert_eq!(power.value, Decimal::from_i128(1, 1_000_000));
        assert_eq!(power.to_string(), "10");

        // A megabyte of fraction rounds up to one nano.
        let tiny = q(&format!("0.{}1", "0".repeat(1_000_000)));
        assert_eq!(tiny.to_string(), "1n");
        assert_eq!(tiny.value(), 1);

        // A megabyte of exponent digits is still exponent 3, printed verbatim.
        let long_exponent = format!("1e{}3", "0".repeat(1_000_000));
        assert_eq!(q(&long_exponent).value, Decimal::from_i128(1, 3));
        assert_eq!(q(&long_exponent).to_string(), long_exponent);

        // A megabyte of nines times 2^60 is capped.
        let capped = q(&format!("{}Ei", "9".repeat(1_000_000)));
        assert_eq!(capped.value, Decimal::from_i128(MAX, 0));
        assert_eq!(capped.value(), i64::MAX);

        // A megabyte of exponent overflow is a suffix error, not a hang.
        let overflow = format!("1e{}", "9".repeat(1_000_000));
        assert!(matches!(Quantity::parse(&overflow), Err(QuantityError::Suffix { .. })));

        // Huge exponents compare and convert without building powers of ten.
        let huge = q("1e2147483647");
        assert_eq!(huge.to_string(), "10e2147483646");
        assert!(huge > q("9Ei") && -huge.sign() < 0);
        assert_eq!(q("0e2147483647").value(), 0);
        // Go's wrapped exponent arithmetic prints 10^2147483650 as 10^-2147483646, which Go
        // would hang on when parsing it back.
        assert_eq!(q("1000e2147483647").to_string(), "1e-2147483646");
        assert!(matches!(Quantity::parse("1e-2147483646"), Err(QuantityError::ExponentTooLarge { .. })));
    }

    fn quantity_text() -> impl Strategy<Value = String> {
        let suffixes = prop::sample::select(vec![
            "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e-9", "e-3", "e0",
            "e2", "e5", "E20",
        ]);
        (any::<bool>(), 0u64..10_000_000_000_000, prop::option::of(0u32..100_000), suffixes).prop_map(
            |(negative, integer, fraction, suffix)| {
                let sign = if negative { "-" } else { "" };
                match fraction {
                    Some(fraction) => format!("{sign}{integer}.{fraction}{suffix}"),
                    None => format!("{sign}{integer}{suffix}"),
                }
            },
        )
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in "\\PC{0,40}") {
            if let Ok(quantity) = Quantity::parse(&input) {
                let _ = quantity.to_string();
                let _ = (quantity.value(), quantity.milli_value(), quantity.checked_value(), quantity.checked_milli_value());
                prop_assert_eq!(quantity.cmp(&quantity), Ordering::Equal);
            }
        }

        #[test]
        fn parse_never_panics_on_quantity_alphabet(input in "[-+0-9.eEinumkKMGTP]{0,30}") {
            if let Ok(quantity) = Quantity::parse(&input) {
                let printed = quantity.to_string();
                let _ = (quantity.value(), quantity.milli_value(), quantity.checked_value(), quantity.scaled_value(-9));
                // Whatever Go prints parses again, except where Go's wrapped int32
                // exponent printed something Go itself would hang on.
                let reparsed = Quantity::parse(&printed);
                prop_assert!(
                    matches!(reparsed, Ok(_) | Err(QuantityError::ExponentTooLarge { .. })),
                    "{:?} printed as {:?}", input, printed
                );
            }
        }

        #[test]
        fn canonical_form_round_trips(text in quantity_text()) {
            let original = q(&text);
            let printed = original.to_string();
            // v1.34 prints DecimalSI values from 10^21 up without their exponent, so
            // those do not round-trip; the printed mantissa must still parse.
            let limit = Decimal::from_i128(1, 21);
            if original.format() == DecimalSI && original.value.cmp_magnitude(&limit) != Ordering::Less {
                prop_assert!(Quantity::parse(&printed).is_ok());
                return Ok(());
            }
            let reparsed = q(&printed);
            prop_assert_eq!(&reparsed, &original, "{} printed as {}", text, printed);
            // BinarySI integers without a 1024 factor print as plain numbers, which parse
            // back as DecimalSI; otherwise the canonical string is a fixed point.
            if original.format() != BinarySI || printed.ends_with('i') {
                prop_assert_eq!(reparsed.to_string(), printed.clone());
            }
            let again = reparsed.to_string();
            prop_assert_eq!(q(&again).to_string(), again);
        }

        #[test]
        fn ordering_agrees_with_integers(
            a in -1_000_000i64..1_000_000,
            b in -1_000_000i64..1_000_000,
            unit_a in 0usize..8,
            unit_b in 0usize..8,
        ) {
            const UNITS: [(&str, i128); 8] = [
                ("n", 1),
                ("u", 1_000),
                ("m", 1_000_000),
                ("", 1_000_000_000),
                ("k", 1_000_000_000_000),
                ("M", 1_000_000_000_000_000),
                ("Ki", 1_024_000_000_000),
                ("Mi", 1_048_576_000_000_000),
            ];
            let (suffix_a, nanos_a) = UNITS[unit_a];
            let (suffix_b, nanos_b) = UNITS[unit_b];
            let qa = q(&format!("{a}{suffix_a}"));
            let qb = q(&format!("{b}{suffix_b}"));
            let (ra, rb) = (i128::from(a) * nanos_a, i128::from(b) * nanos_b);
            prop_assert_eq!(qa.cmp(&qb), ra.cmp(&rb));
            prop_assert_eq!(qa == qb, ra == rb);
            if qa == qb {
                prop_assert_eq!(hash_of(&qa), hash_of(&qb));
            }
            // Value() and MilliValue() round away from zero on this (int64) path.
            let away = |nanos: i128, unit: i128| -> i64 {
                let magnitude = (nanos.abs() + unit - 1) / unit;
                (if nanos < 0 { -magnitude } else { magnitude }) as i64
            };
            prop_assert_eq!(qa.value(), away(ra, 1_000_000_000));
            prop_assert_eq!(qa.milli_value(), away(ra, 1_000_000));
            prop_assert_eq!(qa.checked_value(), Some(away(ra, 1_000_000_000)));
        }

        #[test]
        fn constructors_agree_with_parsing(value in any::<i64>(), milli in any::<bool>()) {
            let constructed = if milli { Quantity::new_milli(value, DecimalSI) } else { Quantity::new(value, DecimalSI) };
            let text = if milli { format!("{value}m") } else { value.to_string() };
            prop_assert_eq!(&constructed, &q(&text));
            prop_assert_eq!(q(&constructed.to_string()), constructed.clone());
            if !milli {
                prop_assert_eq!(constructed.value(), value);
                prop_assert_eq!(constructed.checked_value(), Some(value));
            }
        }
    }
}
