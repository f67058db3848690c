//! A seeded generator of patterns (valid and subtly invalid) for the differential tests.

/// xorshift64*: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

const PATHS: &[&str] = &[
    "file:name",
    "file:hashes.MD5",
    "file:hashes.'SHA-256'",
    "file:size",
    "ipv4-addr:value",
    "network-traffic:src_ref.value",
    "network-traffic:dst_port",
    "email-message:to_refs[*].value",
    "domain-name:value",
    "url:value",
    "file:extensions.'windows-pebinary-ext'.sections[*].entropy",
    "process:command_line",
    "x-custom:'odd key'[0]",
    "artifact:payload_bin",
    "file:magic_number_hex",
    "user-account:is_admin",
    "file:created",
];
const LITERALS: &[&str] = &[
    "'a.example'",
    "'10.0.0.0/8'",
    "'d41d8cd98f00b204e9800998ecf8427e'",
    "'x\\'y'",
    "'back\\\\slash'",
    "42",
    "-7",
    "+3",
    "0",
    "1.5",
    "-.25",
    "true",
    "false",
    "t'2024-01-01T00:00:00Z'",
    "t'2024-02-30T00:00:00.5Z'",
    "h'ffd8'",
    "h''",
    "b'QQ=='",
    "b'aGVsbG8='",
    "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'",
];
const STRINGS: &[&str] = &[
    "'%.example'",
    "'^a.*z$'",
    "'10.0.0.0/8'",
    "'a_c'",
    "'(unclosed'",
    "'\\\\d+'",
];

pub fn comparison(r: &mut Rng) -> String {
    let path = r.pick(PATHS);
    let not = if r.chance(15) { "NOT " } else { "" };
    match r.below(9) {
        0 => format!("EXISTS {path}"),
        1 => {
            let n = r.below(3) + 1;
            let items: Vec<&str> = (0..n).map(|_| r.pick(LITERALS)).collect();
            format!("{path} {not}IN ({})", items.join(", "))
        }
        2 => format!(
            "{path} {not}{} {}",
            r.pick(&["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"]),
            r.pick(STRINGS)
        ),
        _ => format!(
            "{path} {not}{} {}",
            r.pick(&["=", "!=", "<", "<=", ">", ">=", "==", "<>"]),
            r.pick(LITERALS)
        ),
    }
}

pub fn comparison_expr(r: &mut Rng, depth: usize) -> String {
    if depth > 2 || r.chance(50) {
        return comparison(r);
    }
    let a = comparison_expr(r, depth + 1);
    let b = comparison_expr(r, depth + 1);
    let op = r.pick(&["AND", "OR"]);
    if r.chance(30) {
        format!("({a} {op} {b})")
    } else {
        format!("{a} {op} {b}")
    }
}

pub fn qualifier(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("WITHIN {} SECONDS", r.pick(&["5", "0", "2.5", "+1", "300"])),
        1 => format!("REPEATS {} TIMES", r.pick(&["2", "0", "3"])),
        _ => format!(
            "START {} STOP {}",
            r.pick(&["t'2024-01-01T00:00:00Z'", "t'2024-06-01T00:00:00.123Z'"]),
            r.pick(&["t'2024-03-01T00:00:00Z'", "t'2023-01-01T00:00:00Z'"])
        ),
    }
}

pub fn observation_expr(r: &mut Rng, depth: usize) -> String {
    let mut e = if depth > 2 || r.chance(45) {
        format!("[{}]", comparison_expr(r, 0))
    } else {
        let a = observation_expr(r, depth + 1);
        let b = observation_expr(r, depth + 1);
        let op = r.pick(&["AND", "OR", "FOLLOWEDBY"]);
        let inner = format!("{a} {op} {b}");
        if r.chance(40) {
            format!("({inner})")
        } else {
            inner
        }
    };
    while r.chance(20) {
        e = format!("{e} {}", qualifier(r));
    }
    e
}

/// A pattern, sometimes mutated to be (probably) invalid.
pub fn pattern(r: &mut Rng) -> String {
    let p = observation_expr(r, 0);
    if !r.chance(35) {
        return p;
    }
    let chars: Vec<char> = p.chars().collect();
    let at = r.below(chars.len());
    let mut out: String = chars[..at].iter().collect();
    match r.below(4) {
        0 => {}
        1 => out.push_str(r.pick(&[
            "[", "]", "(", ")", "'", "=", ":", ".", "*", "-", ",", " AND ", " t", "!",
        ])),
        2 => out.push_str(&chars[at..].iter().collect::<String>().to_lowercase()),
        _ => return chars[..at].iter().collect(),
    }
    out.extend(chars.get(at + 1..).unwrap_or_default());
    out
}
