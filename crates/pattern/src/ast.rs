//! The syntax tree of a STIX 2.1 pattern (STIX 2.1 section 9).
//!
//! Parentheses are not nodes: the parser drops them and the printer puts back the ones
//! the structure needs. Chains of the same operator at one level are flattened into one
//! n-ary node (`a AND b AND c` is one `And` of three), so that a long pattern is a wide
//! tree rather than a deep one; a parenthesised operand keeps its own node
//! (`(a AND b) AND c` is an `And` whose first operand is an `And`).

use crate::timestamp::Timestamp;

/// A whole pattern: one observation expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top-level observation expression.
    pub expr: ObservationExpr,
}

/// An observation expression (STIX 2.1 section 9.4 and 9.5).
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison expression ]`: matches one observed-data.
    Observation(ComparisonExpr),
    /// `A AND B AND ...` (two or more operands): each operand matches a different observation.
    And(Vec<ObservationExpr>),
    /// `A OR B OR ...` (two or more operands).
    Or(Vec<ObservationExpr>),
    /// `A FOLLOWEDBY B FOLLOWEDBY ...` (two or more operands), in time order.
    FollowedBy(Vec<ObservationExpr>),
    /// An expression with one qualifier; several qualifiers nest, innermost first.
    Qualified(Box<ObservationExpr>, Qualifier),
}

/// A qualifier of an observation expression (STIX 2.1 section 9.5).
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`: all matched observations lie within `n` seconds.
    Within(Number),
    /// `REPEATS n TIMES`: the expression matches `n` times on distinct observations.
    Repeats(u64),
    /// `START t'..' STOP t'..'`: matched observations lie in `[start, stop)`.
    StartStop(Timestamp, Timestamp),
}

/// Which kind of qualifier (used to detect duplicates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QualifierKind {
    /// `WITHIN`
    Within,
    /// `REPEATS`
    Repeats,
    /// `START .. STOP`
    StartStop,
}

impl Qualifier {
    /// The kind of this qualifier.
    pub fn kind(&self) -> QualifierKind {
        match self {
            Qualifier::Within(_) => QualifierKind::Within,
            Qualifier::Repeats(_) => QualifierKind::Repeats,
            Qualifier::StartStop(..) => QualifierKind::StartStop,
        }
    }
}

/// A non-negative number of seconds, as written (`WITHIN 5` or `WITHIN 2.5`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer.
    Int(u64),
    /// A decimal number.
    Float(f64),
}

impl Number {
    /// The value as `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            // Precision loss above 2^53 seconds does not matter for durations.
            #[allow(clippy::cast_precision_loss)]
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A comparison expression, the inside of `[ ... ]` (STIX 2.1 section 9.3).
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// One comparison.
    Comparison(Comparison),
    /// `a AND b AND ...` (two or more operands): all hold on the same object.
    And(Vec<ComparisonExpr>),
    /// `a OR b OR ...` (two or more operands).
    Or(Vec<ComparisonExpr>),
}

/// One comparison: `path [NOT] operator literal`, or `EXISTS path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The object path on the left.
    pub path: ObjectPath,
    /// `NOT` before the operator (never set with [`Operator::Exists`]).
    pub negated: bool,
    /// The operator and its operand.
    pub op: Operator,
}

/// A comparison operator with its literal operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `=` (also written `==`).
    Eq(Literal),
    /// `!=` (also written `<>`).
    Ne(Literal),
    /// `<`
    Lt(Literal),
    /// `<=`
    Le(Literal),
    /// `>`
    Gt(Literal),
    /// `>=`
    Ge(Literal),
    /// `IN (a, b, ...)`; the set may be empty.
    In(Vec<Literal>),
    /// `LIKE 'pattern'` with `%` and `_` wildcards.
    Like(String),
    /// `MATCHES 'regex'`.
    Matches(String),
    /// `ISSUBSET 'cidr'`.
    IsSubset(String),
    /// `ISSUPERSET 'cidr'`.
    IsSuperset(String),
    /// `EXISTS path` (the path is written after the keyword).
    Exists,
}

impl Operator {
    /// The operator's keyword or symbol, as printed.
    pub fn symbol(&self) -> &'static str {
        match self {
            Operator::Eq(_) => "=",
            Operator::Ne(_) => "!=",
            Operator::Lt(_) => "<",
            Operator::Le(_) => "<=",
            Operator::Gt(_) => ">",
            Operator::Ge(_) => ">=",
            Operator::In(_) => "IN",
            Operator::Like(_) => "LIKE",
            Operator::Matches(_) => "MATCHES",
            Operator::IsSubset(_) => "ISSUBSET",
            Operator::IsSuperset(_) => "ISSUPERSET",
            Operator::Exists => "EXISTS",
        }
    }
}

/// A literal value (STIX 2.1 section 9.2).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An integer (must fit in `i64`).
    Int(i64),
    /// A finite decimal number.
    Float(f64),
    /// A string, unescaped.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// `t'2016-01-01T00:00:00Z'`.
    Timestamp(Timestamp),
    /// `b'...'` (base64), decoded.
    Binary(Vec<u8>),
    /// `h'...'` (hex), decoded.
    Hex(Vec<u8>),
}

/// An object path: `type:prop.sub[*].x` (STIX 2.1 section 9.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectPath {
    /// The object type, such as `file` or `network-traffic`.
    pub object_type: String,
    /// The steps into the object; the first one is always a [`PathStep::Key`].
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// A property name: `.name` or `.'SHA-256'`.
    Key(String),
    /// A list index: `[2]` (negative indexes never select anything).
    Index(i64),
    /// `[*]`: any element of a list.
    AnyIndex,
}
