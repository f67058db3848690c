//! Recursive-descent parser from tokens to the [`crate::ast`], with the checks of the OASIS
//! validator and of the spec that the grammar alone does not make.
//!
//! Precedence, loosest first (as in `STIXPattern.g4`): `FOLLOWEDBY`, `OR`, `AND` between
//! observation expressions, then qualifiers, which bind to the nearest `[..]` or `(..)`;
//! inside brackets `OR` is looser than `AND`. All binary operators are left-associative.

use crate::ast::{
    Comparison, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, Operator, PathStep,
    Pattern, Qualifier, QualifierKind,
};
use crate::error::{ErrorKind, PatternError};
use crate::lexer::{Kw, Tok, Token, tokenize};
use crate::validate;

/// Deepest nesting of parentheses, brackets and qualifiers that [`crate::parse`] accepts.
pub const MAX_DEPTH: usize = 100;

type Result<T> = std::result::Result<T, PatternError>;

pub(crate) struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    strict: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str, strict: bool) -> Self {
        Parser {
            text,
            toks: tokenize(text),
            pos: 0,
            strict,
        }
    }

    pub(crate) fn parse_pattern(mut self) -> Result<Pattern> {
        let expr = self.followed_by(0)?;
        if self.peek() != &Tok::Eof {
            return Err(
                self.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
            );
        }
        brackets_check(self.text)?;
        Ok(Pattern { expr })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn token(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    /// Moves to the next token (the last, `Eof`, stays current).
    fn bump(&mut self) {
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
    }

    /// The current token's kind, moved out (its span stays for messages), then
    /// [`Self::bump`]: the caller has matched it with [`Self::peek`] and keeps its value.
    fn take(&mut self) -> Tok {
        let i = self.pos.min(self.toks.len() - 1);
        let tok = std::mem::replace(&mut self.toks[i].tok, Tok::Eof);
        self.bump();
        tok
    }

    fn text_of(&self, t: &Token) -> &'a str {
        &self.text[t.start..t.end]
    }

    fn err(&self, offset: usize, kind: ErrorKind, message: String) -> PatternError {
        PatternError::new(self.text, offset, kind, message)
    }

    /// `expected <what>, found '<token>'` at the current token (or the lexer's own error).
    fn unexpected(&self, what: &str) -> PatternError {
        let t = self.token();
        match &t.tok {
            Tok::Error(kind, msg) => self.err(t.start, *kind, msg.clone()),
            Tok::Eof => self.err(
                t.start,
                ErrorKind::Syntax,
                format!("expected {what}, found the end of the pattern"),
            ),
            _ => {
                let found: String = self.text_of(t).chars().take(40).collect();
                let found = if found.starts_with('\'') {
                    found
                } else {
                    format!("'{found}'")
                };
                self.err(
                    t.start,
                    ErrorKind::Syntax,
                    format!("expected {what}, found {found}"),
                )
            }
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<()> {
        if self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn eat_kw(&mut self, kw: Kw) -> bool {
        if self.peek() == &Tok::Kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn check_depth(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            let msg = format!("nesting deeper than {MAX_DEPTH} levels");
            return Err(self.err(self.token().start, ErrorKind::TooDeep, msg));
        }
        Ok(())
    }

    fn followed_by(&mut self, depth: usize) -> Result<ObservationExpr> {
        let first = self.obs_or(depth)?;
        if !self.eat_kw(Kw::FollowedBy) {
            return Ok(first);
        }
        let mut items = vec![first, self.obs_or(depth)?];
        while self.eat_kw(Kw::FollowedBy) {
            items.push(self.obs_or(depth)?);
        }
        Ok(ObservationExpr::FollowedBy(items))
    }

    fn obs_or(&mut self, depth: usize) -> Result<ObservationExpr> {
        let first = self.obs_and(depth)?;
        if !self.eat_kw(Kw::Or) {
            return Ok(first);
        }
        let mut items = vec![first, self.obs_and(depth)?];
        while self.eat_kw(Kw::Or) {
            items.push(self.obs_and(depth)?);
        }
        Ok(ObservationExpr::Or(items))
    }

    fn obs_and(&mut self, depth: usize) -> Result<ObservationExpr> {
        let first = self.qualified(depth)?;
        if !self.eat_kw(Kw::And) {
            return Ok(first);
        }
        let mut items = vec![first, self.qualified(depth)?];
        while self.eat_kw(Kw::And) {
            items.push(self.qualified(depth)?);
        }
        Ok(ObservationExpr::And(items))
    }

    /// `[..]` or `(..)` followed by any number of qualifiers.
    fn qualified(&mut self, depth: usize) -> Result<ObservationExpr> {
        let depth = depth + 1;
        self.check_depth(depth)?;
        let (mut expr, simple) = match self.peek() {
            Tok::LBrack => {
                self.bump();
                let c = self.cmp_or(depth)?;
                self.expect(&Tok::RBrack, "']', AND or OR")?;
                (ObservationExpr::Observation(c), true)
            }
            Tok::LParen => {
                self.bump();
                let e = self.followed_by(depth)?;
                self.expect(&Tok::RParen, "')', AND, OR or FOLLOWEDBY")?;
                (e, false)
            }
            _ => return Err(self.unexpected("'[' or '('")),
        };
        // Like the OASIS validator: a qualifier type may appear once on a bracketed
        // observation; on a parenthesised group it is not checked.
        let mut seen: Vec<QualifierKind> = Vec::new();
        let mut nesting = depth;
        while let Tok::Kw(Kw::Within | Kw::Repeats | Kw::Start) = self.peek() {
            let start = self.token().start;
            nesting += 1;
            self.check_depth(nesting)?;
            let q = self.qualifier()?;
            if simple && seen.contains(&q.kind()) {
                let name = match q.kind() {
                    QualifierKind::Within => "WITHIN",
                    QualifierKind::Repeats => "REPEATS",
                    QualifierKind::StartStop => "START/STOP",
                };
                let msg = format!("duplicate qualifier {name} on one observation expression");
                return Err(self.err(start, ErrorKind::DuplicateQualifier, msg));
            }
            seen.push(q.kind());
            expr = ObservationExpr::Qualified(Box::new(expr), q);
        }
        Ok(expr)
    }

    fn qualifier(&mut self) -> Result<Qualifier> {
        let kw = self.peek().clone();
        self.bump();
        match kw {
            Tok::Kw(Kw::Within) => {
                let t = self.token().clone();
                let n = match (&t.tok, self.text_of(&t).starts_with('-')) {
                    (Tok::Int, false) => Number::Int(self.unsigned(&t)?),
                    (Tok::Float, false) => Number::Float(self.float(&t)?),
                    _ => return Err(self.unexpected("a positive number of seconds")),
                };
                self.bump();
                self.expect(&Tok::Kw(Kw::Seconds), "SECONDS")?;
                if self.strict && n.as_f64() <= 0.0 {
                    return Err(self.err(
                        t.start,
                        ErrorKind::InvalidQualifier,
                        "WITHIN must be positive".into(),
                    ));
                }
                Ok(Qualifier::Within(n))
            }
            Tok::Kw(Kw::Repeats) => {
                let t = self.token().clone();
                if t.tok != Tok::Int || self.text_of(&t).starts_with('-') {
                    return Err(self.unexpected("a positive integer"));
                }
                let n = self.unsigned(&t)?;
                self.bump();
                self.expect(&Tok::Kw(Kw::Times), "TIMES")?;
                if self.strict && n == 0 {
                    return Err(self.err(
                        t.start,
                        ErrorKind::InvalidQualifier,
                        "REPEATS must be at least 1".into(),
                    ));
                }
                Ok(Qualifier::Repeats(n))
            }
            _ => {
                let start = self.timestamp()?;
                self.expect(&Tok::Kw(Kw::Stop), "STOP")?;
                let stop_at = self.token().start;
                let stop = self.timestamp()?;
                if self.strict && start >= stop {
                    let msg = "START must be before STOP".to_string();
                    return Err(self.err(stop_at, ErrorKind::InvalidQualifier, msg));
                }
                Ok(Qualifier::StartStop(start, stop))
            }
        }
    }

    fn timestamp(&mut self) -> Result<crate::Timestamp> {
        match self.peek().clone() {
            Tok::Timestamp(t, real) => {
                self.calendar_check(real)?;
                self.bump();
                Ok(t)
            }
            _ => Err(self.unexpected("a timestamp t'YYYY-MM-DDThh:mm:ssZ'")),
        }
    }

    fn calendar_check(&self, real_date: bool) -> Result<()> {
        if self.strict && !real_date {
            let t = self.token();
            let msg = format!("{} is not a calendar date", self.text_of(t));
            return Err(self.err(t.start, ErrorKind::InvalidLiteral, msg));
        }
        Ok(())
    }

    fn unsigned(&self, t: &Token) -> Result<u64> {
        let s = self.text_of(t).trim_start_matches('+');
        s.parse().map_err(|_| {
            self.err(
                t.start,
                ErrorKind::InvalidLiteral,
                format!("integer {s} is too large"),
            )
        })
    }

    fn float(&self, t: &Token) -> Result<f64> {
        let s = self.text_of(t);
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(self.err(
                t.start,
                ErrorKind::InvalidLiteral,
                format!("number {s} is out of range"),
            )),
        }
    }

    fn cmp_or(&mut self, depth: usize) -> Result<ComparisonExpr> {
        let first = self.cmp_and(depth)?;
        if !self.eat_kw(Kw::Or) {
            return Ok(first);
        }
        let mut items = vec![first, self.cmp_and(depth)?];
        while self.eat_kw(Kw::Or) {
            items.push(self.cmp_and(depth)?);
        }
        Ok(ComparisonExpr::Or(items))
    }

    fn cmp_and(&mut self, depth: usize) -> Result<ComparisonExpr> {
        let first = self.prop_test(depth)?;
        if !self.eat_kw(Kw::And) {
            return Ok(first);
        }
        let mut items = vec![first, self.prop_test(depth)?];
        while self.eat_kw(Kw::And) {
            items.push(self.prop_test(depth)?);
        }
        Ok(ComparisonExpr::And(items))
    }

    fn prop_test(&mut self, depth: usize) -> Result<ComparisonExpr> {
        match self.peek() {
            Tok::LParen => {
                self.check_depth(depth + 1)?;
                self.bump();
                let e = self.cmp_or(depth + 1)?;
                self.expect(&Tok::RParen, "')', AND or OR")?;
                return Ok(e);
            }
            Tok::Kw(Kw::Exists) => {
                self.bump();
                let path = self.path()?;
                return Ok(ComparisonExpr::Comparison(Comparison {
                    path,
                    negated: false,
                    op: Operator::Exists,
                }));
            }
            _ => {}
        }
        let path = self.path()?;
        let negated = self.eat_kw(Kw::Not);
        let op_tok = self.token().clone();
        let lit_start = self.toks.get(self.pos + 1).map_or(op_tok.end, |t| t.start);
        let op = match op_tok.tok {
            Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => {
                self.bump();
                let orderable = !matches!(op_tok.tok, Tok::Eq | Tok::Ne);
                let lit = self.literal(orderable)?;
                match op_tok.tok {
                    Tok::Eq => Operator::Eq(lit),
                    Tok::Ne => Operator::Ne(lit),
                    Tok::Lt => Operator::Lt(lit),
                    Tok::Le => Operator::Le(lit),
                    Tok::Gt => Operator::Gt(lit),
                    _ => Operator::Ge(lit),
                }
            }
            Tok::Kw(Kw::In) => {
                self.bump();
                Operator::In(self.set_literal()?)
            }
            Tok::Kw(kw @ (Kw::Like | Kw::Matches | Kw::IsSubset | Kw::IsSuperset)) => {
                self.bump();
                let Some(s) = self.take_str() else {
                    return Err(self.unexpected("a string literal"));
                };
                match kw {
                    Kw::Like => Operator::Like(s),
                    Kw::Matches => {
                        validate::regex(&s)
                            .map_err(|m| self.err(lit_start, ErrorKind::InvalidRegex, m))?;
                        Operator::Matches(s)
                    }
                    Kw::IsSubset => Operator::IsSubset(s),
                    _ => Operator::IsSuperset(s),
                }
            }
            _ if negated => return Err(self.unexpected("a comparison operator")),
            _ => return Err(self.unexpected("a comparison operator or NOT")),
        };
        if validate::is_hash_path(&path) {
            let raw: String = self.toks[self.pos_of(lit_start)..self.pos]
                .iter()
                .map(|t| self.text_of(t))
                .collect();
            validate::hash(&path, &raw)
                .map_err(|m| self.err(lit_start, ErrorKind::InvalidHash, m))?;
        }
        Ok(ComparisonExpr::Comparison(Comparison { path, negated, op }))
    }

    fn pos_of(&self, start: usize) -> usize {
        self.toks[..self.pos]
            .iter()
            .rposition(|t| t.start == start)
            .unwrap_or(self.pos)
    }

    fn path(&mut self) -> Result<ObjectPath> {
        let t = self.token().clone();
        if !matches!(t.tok, Tok::Ident | Tok::IdentHyphen) {
            return Err(self.unexpected("an object type, EXISTS or '('"));
        }
        self.bump();
        let object_type = self.text_of(&t).to_string();
        self.expect(&Tok::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Key(self.key("a property name")?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    steps.push(PathStep::Key(self.key("a property name after '.'")?));
                }
                Tok::LBrack => {
                    self.bump();
                    let t = self.token().clone();
                    let step = match t.tok {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int => {
                            let s = self.text_of(&t).trim_start_matches('+');
                            let i = s.parse().map_err(|_| {
                                self.err(
                                    t.start,
                                    ErrorKind::InvalidLiteral,
                                    format!("index {s} is too large"),
                                )
                            })?;
                            PathStep::Index(i)
                        }
                        _ => return Err(self.unexpected("a list index or '*'")),
                    };
                    self.bump();
                    self.expect(&Tok::RBrack, "']' after the list index")?;
                    steps.push(step);
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    fn key(&mut self, what: &str) -> Result<String> {
        let t = self.token();
        if t.tok == Tok::Ident {
            let key = self.text_of(t).to_string();
            self.bump();
            return Ok(key);
        }
        self.take_str()
            .ok_or_else(|| self.unexpected(&format!("{what} (quote names with '-' or keywords)")))
    }

    /// The current token's string, if it is a string literal (and then moves on).
    fn take_str(&mut self) -> Option<String> {
        match self.peek() {
            Tok::Str(_) => match self.take() {
                Tok::Str(s) => Some(s),
                _ => unreachable!("the token was a string"),
            },
            _ => None,
        }
    }

    fn set_literal(&mut self) -> Result<Vec<Literal>> {
        self.expect(&Tok::LParen, "'(' to start the set")?;
        let mut items = Vec::new();
        if self.peek() == &Tok::RParen {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.literal(false)?);
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RParen => {
                    self.bump();
                    return Ok(items);
                }
                _ => return Err(self.unexpected("',' or ')'")),
            }
        }
    }

    fn literal(&mut self, orderable: bool) -> Result<Literal> {
        // Literals that own their value are moved out of the token list.
        if let Tok::Str(_) | Tok::Binary(_) | Tok::Hex(_) = self.peek() {
            return Ok(match self.take() {
                Tok::Str(s) => Literal::Str(s),
                Tok::Binary(b) => Literal::Binary(b),
                Tok::Hex(h) => Literal::Hex(h),
                _ => unreachable!("the token was a string, binary or hex literal"),
            });
        }
        let t = self.token().clone();
        let lit = match t.tok {
            Tok::Int => {
                let s = self.text_of(&t).trim_start_matches('+');
                Literal::Int(s.parse().map_err(|_| {
                    self.err(
                        t.start,
                        ErrorKind::InvalidLiteral,
                        format!("integer {s} does not fit in 64 bits"),
                    )
                })?)
            }
            Tok::Float => Literal::Float(self.float(&t)?),
            Tok::Str(s) => Literal::Str(s),
            Tok::Bool(b) if !orderable => Literal::Bool(b),
            Tok::Timestamp(ts, real) => {
                self.calendar_check(real)?;
                Literal::Timestamp(ts)
            }
            Tok::Binary(b) => Literal::Binary(b),
            Tok::Hex(h) => Literal::Hex(h),
            _ if orderable => {
                return Err(self.unexpected("a literal (string, number, timestamp, binary or hex)"));
            }
            _ => {
                return Err(self
                    .unexpected("a literal (string, number, boolean, timestamp, binary or hex)"));
            }
        };
        self.bump();
        Ok(lit)
    }
}

/// The OASIS validator's `brackets_check`: after any `(` and white space, the pattern
/// must start with `[` (so a leading comment is rejected, as there).
fn brackets_check(text: &str) -> Result<()> {
    let python_space = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    match text
        .char_indices()
        .find(|&(_, c)| c != '(' && !python_space(c))
    {
        Some((_, '[')) => Ok(()),
        Some((i, _)) => Err(PatternError::new(
            text,
            i,
            ErrorKind::Syntax,
            "expected '[' or '('".into(),
        )),
        None => Err(PatternError::new(
            text,
            text.len(),
            ErrorKind::Syntax,
            "expected '['".into(),
        )),
    }
}
