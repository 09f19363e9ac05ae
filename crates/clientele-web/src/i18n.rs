//! Every UI string goes through Fluent. English is complete and the fallback for any
//! string another locale lacks.

use std::collections::HashMap;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub const DEFAULT_LOCALE: &str = "en";

const SOURCES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en/main.ftl")),
    ("fr", include_str!("../locales/fr/main.ftl")),
    ("ru", include_str!("../locales/ru/main.ftl")),
    ("bg", include_str!("../locales/bg/main.ftl")),
    ("ko", include_str!("../locales/ko/main.ftl")),
];

pub struct I18n {
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
}

impl I18n {
    pub fn load() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        for (locale, source) in SOURCES {
            let res = FluentResource::try_new((*source).to_owned())
                .map_err(|(_, errs)| anyhow::anyhow!("locale {locale}: {} syntax error(s): {errs:?}", errs.len()))?;
            let lang: LanguageIdentifier = locale.parse().map_err(|e| anyhow::anyhow!("locale {locale}: {e}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Unicode isolation marks would end up inside HTML attributes and test strings.
            bundle.set_use_isolating(false);
            bundle.add_resource(res).map_err(|e| anyhow::anyhow!("locale {locale}: {e:?}"))?;
            bundles.insert(*locale, bundle);
        }
        Ok(Self { bundles })
    }

    pub fn supported(&self, locale: &str) -> Option<&'static str> {
        SOURCES.iter().map(|(l, _)| *l).find(|l| *l == locale)
    }

    fn format(&self, locale: &str, key: &str, args: Option<&FluentArgs>) -> Option<String> {
        let bundle = self.bundles.get(locale)?;
        let msg = bundle.get_message(key)?;
        let pattern = msg.value()?;
        let mut errors = vec![];
        let s = bundle.format_pattern(pattern, args, &mut errors);
        Some(s.into_owned())
    }

    /// Picks the locale: the user's own setting, else the browser's preference, else English.
    pub fn negotiate(&self, user_setting: Option<&str>, accept_language: Option<&str>) -> &'static str {
        if let Some(l) = user_setting.and_then(|l| self.supported(l)) {
            return l;
        }
        if let Some(header) = accept_language {
            let mut prefs: Vec<(f32, &str)> = header
                .split(',')
                .filter_map(|part| {
                    let mut it = part.trim().split(';');
                    let tag = it.next()?.trim();
                    let q =
                        it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
                    Some((q, tag))
                })
                .collect();
            prefs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
            for (_, tag) in prefs {
                let primary = tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
                if let Some(l) = self.supported(&primary) {
                    return l;
                }
            }
        }
        DEFAULT_LOCALE
    }
}

/// Translator for one request, handed to templates as `t`.
#[derive(Clone)]
pub struct Tr {
    i18n: Arc<I18n>,
    pub locale: &'static str,
}

impl Tr {
    pub fn new(i18n: Arc<I18n>, locale: &'static str) -> Self {
        Self { i18n, locale }
    }

    /// The string for `key`, falling back to English, then to the key itself (visible, so a
    /// missing string is noticed rather than silently blank).
    pub fn get(&self, key: &str) -> String {
        self.i18n
            .format(self.locale, key, None)
            .or_else(|| self.i18n.format(DEFAULT_LOCALE, key, None))
            .unwrap_or_else(|| key.to_owned())
    }

    /// The string for `key` with named arguments.
    pub fn with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, FluentValue::from(v.to_string()));
        }
        self.i18n
            .format(self.locale, key, Some(&fa))
            .or_else(|| self.i18n.format(DEFAULT_LOCALE, key, Some(&fa)))
            .unwrap_or_else(|| key.to_owned())
    }

    /// A count-dependent string (`{ $count }` with plural rules of the locale).
    pub fn count(&self, key: &str, n: i64) -> String {
        let mut fa = FluentArgs::new();
        fa.set("count", FluentValue::from(n));
        self.i18n
            .format(self.locale, key, Some(&fa))
            .or_else(|| self.i18n.format(DEFAULT_LOCALE, key, Some(&fa)))
            .unwrap_or_else(|| key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of every locale exists in English, and English has no syntax errors.
    #[test]
    fn locales_load_and_only_translate_english_keys() {
        let i18n = I18n::load().unwrap();
        let keys = |src: &str| -> Vec<String> {
            src.lines()
                .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(|k| k.trim().to_owned()))
                .collect()
        };
        let en = keys(SOURCES[0].1);
        assert!(en.len() > 50);
        for (locale, src) in SOURCES {
            for k in keys(src) {
                assert!(en.contains(&k), "{locale} has `{k}`, which English lacks");
            }
        }
        let t = Tr::new(Arc::new(i18n), "fr");
        assert_ne!(t.get("nav-contacts"), "nav-contacts");
    }

    #[test]
    fn negotiation() {
        let i18n = I18n::load().unwrap();
        assert_eq!(i18n.negotiate(Some("ko"), Some("fr")), "ko");
        assert_eq!(i18n.negotiate(None, Some("de-DE,ru;q=0.8,en;q=0.5")), "ru");
        assert_eq!(i18n.negotiate(None, Some("bg-BG")), "bg");
        assert_eq!(i18n.negotiate(None, Some("de")), "en");
        assert_eq!(i18n.negotiate(None, None), "en");
    }
}
