//! Languages of the web interface: one Fluent file per language (`crates/web/locales`,
//! built into the binary), the choice of language (cookie, then `Accept-Language`, then
//! English), and numbers and dates written the way each language writes them.
//!
//! Plural forms are Fluent's (CLDR rules: Arabic has six, Russian four). Numbers are
//! formatted by our own rules per language (grouping separator, CLDR's minimum grouping
//! digits for Spanish, Arabic-Indic digits for Arabic), installed as the bundles'
//! formatter so that numbers inside messages are formatted the same way.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Arabic (right to left).
    Ar,
    /// Russian.
    Ru,
}

/// Every language, in the order the language switch shows them.
pub const LANGS: [Lang; 6] = [Lang::En, Lang::Zh, Lang::Fr, Lang::Es, Lang::Ar, Lang::Ru];

/// The Fluent sources, by language code.
pub const SOURCES: [(&str, &str); 6] = [
    ("en", include_str!("../locales/en.ftl")),
    ("zh", include_str!("../locales/zh.ftl")),
    ("fr", include_str!("../locales/fr.ftl")),
    ("es", include_str!("../locales/es.ftl")),
    ("ar", include_str!("../locales/ar.ftl")),
    ("ru", include_str!("../locales/ru.ftl")),
];

impl Lang {
    /// The BCP 47 code (`en`, `zh`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ar => "ar",
            Lang::Ru => "ru",
        }
    }

    /// The language's name in itself, as the switch shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
            Lang::Fr => "Français",
            Lang::Es => "Español",
            Lang::Ar => "العربية",
            Lang::Ru => "Русский",
        }
    }

    /// `rtl` for Arabic, `ltr` otherwise.
    pub fn dir(self) -> &'static str {
        if self == Lang::Ar { "rtl" } else { "ltr" }
    }

    /// The language of a code or language tag (`fr-CA` is French), if we have it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        LANGS.into_iter().find(|l| l.code() == primary)
    }

    /// The best language for an `Accept-Language` header (by q-value, then order).
    pub fn negotiate(accept: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(lang) = Lang::from_tag(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    fn index(self) -> usize {
        LANGS.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// The message `id`, or `id` itself when no language has it (a test catches that).
    pub fn t(self, id: &str) -> String {
        self.t_args(id, None)
    }

    /// The message `id` with one numeric argument (for plurals).
    pub fn t_n(self, id: &str, name: &'static str, n: i64) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(n));
        self.t_args(id, Some(&args))
    }

    /// The message `id` with one text argument.
    pub fn t_s(self, id: &str, name: &'static str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value.to_owned()));
        self.t_args(id, Some(&args))
    }

    /// The message `id` with arguments.
    pub fn t_args(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = &BUNDLES[self.index()];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    /// An integer with this language's digits and grouping.
    pub fn number(self, n: i64) -> String {
        format_int(self, n)
    }

    /// A timestamp (RFC 3339) as a date and time in UTC, written for this language;
    /// text that is not a timestamp is returned as it is.
    pub fn datetime(self, ts: &str) -> String {
        self.date_parts(ts, true)
    }

    /// A timestamp (RFC 3339) or a day (`YYYY-MM-DD`) as a date.
    pub fn date(self, ts: &str) -> String {
        self.date_parts(ts, false)
    }

    fn date_parts(self, ts: &str, with_time: bool) -> String {
        let b = ts.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<i64> {
            ts.get(r)
                .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))?
                .parse()
                .ok()
        };
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return ts.to_owned();
        };
        if b.get(4) != Some(&b'-') || !(1..=12).contains(&month) {
            return ts.to_owned();
        }
        let mut args = FluentArgs::new();
        args.set("year", FluentValue::from(self.digits(&year.to_string())));
        args.set("day", FluentValue::from(self.digits(&day.to_string())));
        args.set(
            "monthnum",
            FluentValue::from(self.digits(&month.to_string())),
        );
        args.set(
            "month",
            FluentValue::from(self.t(&format!("month-{month}"))),
        );
        match (with_time, digits(11..13), digits(14..16)) {
            (true, Some(h), Some(m)) => {
                args.set(
                    "time",
                    FluentValue::from(self.digits(&format!("{h:02}:{m:02}"))),
                );
                self.t_args("datetime-format", Some(&args))
            }
            _ => self.t_args("date-format", Some(&args)),
        }
    }

    /// ASCII digits replaced by this language's digits.
    pub fn digits(self, s: &str) -> String {
        if self != Lang::Ar {
            return s.to_owned();
        }
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
                None => c,
            })
            .collect()
    }
}

fn format_int(lang: Lang, n: i64) -> String {
    let (sep, min_grouping) = match lang {
        Lang::En | Lang::Zh => (",", 1),
        Lang::Fr => ("\u{202f}", 1),
        Lang::Es => (".", 2),
        Lang::Ru => ("\u{a0}", 1),
        Lang::Ar => ("\u{066c}", 1),
    };
    let raw = n.unsigned_abs().to_string();
    let grouped = if raw.len() > 3 && raw.len() - 3 >= min_grouping {
        let mut out = String::new();
        for (i, c) in raw.chars().enumerate() {
            if i > 0 && (raw.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    } else {
        raw
    };
    let sign = if n < 0 { "-" } else { "" };
    lang.digits(&format!("{sign}{grouped}"))
}

macro_rules! formatter {
    ($name:ident, $lang:expr) => {
        fn $name<M>(v: &FluentValue<'_>, _: &M) -> Option<String> {
            match v {
                FluentValue::Number(n) if n.value.fract() == 0.0 && n.value.abs() < 9.0e15 =>
                {
                    #[allow(clippy::cast_possible_truncation)]
                    Some(format_int($lang, n.value as i64))
                }
                _ => None,
            }
        }
    };
}
formatter!(fmt_en, Lang::En);
formatter!(fmt_zh, Lang::Zh);
formatter!(fmt_fr, Lang::Fr);
formatter!(fmt_es, Lang::Es);
formatter!(fmt_ar, Lang::Ar);
formatter!(fmt_ru, Lang::Ru);

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<Bundle>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .zip(LANGS)
        .map(|((code, source), lang)| {
            let id: LanguageIdentifier = code.parse().unwrap_or_default();
            let mut bundle = Bundle::new_concurrent(vec![id]);
            // Values are inserted into HTML by the templates; bidi isolation there is done
            // with the page's `dir` and `<bdi>`, not with invisible marks in the text.
            bundle.set_use_isolating(false);
            bundle.set_formatter(Some(match lang {
                Lang::En => fmt_en,
                Lang::Zh => fmt_zh,
                Lang::Fr => fmt_fr,
                Lang::Es => fmt_es,
                Lang::Ar => fmt_ar,
                Lang::Ru => fmt_ru,
            }));
            let resource = match FluentResource::try_new((*source).to_owned()) {
                Ok(r) => r,
                Err((r, errors)) => {
                    tracing::error!(lang = code, ?errors, "Fluent file has errors.");
                    r
                }
            };
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(lang = code, ?errors, "Fluent messages clash.");
            }
            bundle
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        assert_eq!(Lang::negotiate("fr-CH, fr;q=0.9, en;q=0.8"), Some(Lang::Fr));
        assert_eq!(Lang::negotiate("de, ar;q=0.5, ru;q=0.7"), Some(Lang::Ru));
        assert_eq!(Lang::negotiate("zh-Hans-CN"), Some(Lang::Zh));
        assert_eq!(Lang::negotiate("de, *;q=0.1"), None);
        assert_eq!(Lang::negotiate("ar;q=0"), None);
    }

    #[test]
    fn numbers_per_language() {
        assert_eq!(Lang::En.number(1_234_567), "1,234,567");
        assert_eq!(Lang::Fr.number(1234), "1\u{202f}234");
        assert_eq!(Lang::Es.number(1234), "1234");
        assert_eq!(Lang::Es.number(12345), "12.345");
        assert_eq!(Lang::Ru.number(-1000), "-1\u{a0}000");
        assert_eq!(Lang::Ar.number(1500), "١٬٥٠٠");
    }

    #[test]
    fn plurals_and_dates() {
        assert_eq!(Lang::En.t_n("objects-count", "count", 1), "1 object");
        assert_eq!(
            Lang::En.t_n("objects-count", "count", 2500),
            "2,500 objects"
        );
        assert_eq!(Lang::Ru.t_n("objects-count", "count", 3), "3 объекта");
        assert_eq!(Lang::Ru.t_n("objects-count", "count", 5), "5 объектов");
        assert_eq!(Lang::Ru.t_n("objects-count", "count", 21), "21 объект");
        assert_eq!(Lang::Ar.t_n("objects-count", "count", 2), "كائنان");
        assert_eq!(
            Lang::En.datetime("2026-11-22T01:35:00.000Z"),
            "Nov 22, 2026, 01:35 UTC"
        );
        assert_eq!(Lang::Zh.date("2026-11-22"), "2026年11月22日");
        assert_eq!(Lang::En.datetime("soon"), "soon");
    }
}
