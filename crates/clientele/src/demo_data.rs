//! The reference data generator behind `clientele demo --scale N`: companies with several
//! contact persons, people with messy-but-valid phones in several countries, e-mails, owners,
//! tags, lifecycle stages, birthdays and custom field values. Deterministic (seeded), and fast
//! enough for a million contacts: records are built here and loaded in large batches.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use clientele_core::authz::Actor;
use clientele_core::domain::client::{
    Address, Company, CompanyLink, Contact, Email, ImportantDate, Lifecycle, Phone, PhoneInput, parse_phones,
};
use clientele_core::domain::phone::Region;
use clientele_core::domain::{new_id, now};
use clientele_core::error::Problems;
use clientele_core::service::{CreateFieldRequest, Services};
use clientele_store::SqlStore;
use clientele_store::bulk_load::ContactLoad;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, json};
use uuid::Uuid;

struct Country {
    code: &'static str,
    first: &'static [&'static str],
    last: &'static [&'static str],
    cities: &'static [&'static str],
    legal: &'static [&'static str],
    domain: &'static str,
}

const COUNTRIES: &[Country] = &[
    Country {
        code: "RU",
        first: &[
            "Анна",
            "Мария",
            "Елена",
            "Ольга",
            "Наталья",
            "Иван",
            "Алексей",
            "Дмитрий",
            "Сергей",
            "Михаил",
            "Фёдор",
            "Юлия",
        ],
        last: &[
            "Иванов",
            "Петров",
            "Смирнов",
            "Кузнецов",
            "Соколов",
            "Попов",
            "Лебедев",
            "Козлов",
            "Новиков",
            "Морозов",
            "Волков",
            "Зайцев",
        ],
        cities: &["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург"],
        legal: &["ООО", "АО", "ИП"],
        domain: "ru",
    },
    Country {
        code: "FR",
        first: &[
            "Élodie",
            "Camille",
            "Chloé",
            "Léa",
            "Manon",
            "Jean",
            "Pierre",
            "Hugo",
            "Louis",
            "Théo",
            "Céline",
            "François",
        ],
        last: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Lefèvre", "Girard",
        ],
        cities: &["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux"],
        legal: &["SARL", "SAS", "SA"],
        domain: "fr",
    },
    Country {
        code: "KR",
        first: &["민준", "서연", "지우", "하은", "도윤", "서준", "예은", "지호", "수빈", "현우"],
        last: &["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"],
        cities: &["서울", "부산", "인천", "대구", "대전"],
        legal: &["주식회사", "유한회사"],
        domain: "kr",
    },
    Country {
        code: "BG",
        first: &["Мария", "Иван", "Георги", "Елена", "Димитър", "Николай", "Петя", "Христо", "Десислава", "Стоян"],
        last: &[
            "Иванов",
            "Георгиев",
            "Димитров",
            "Петров",
            "Николов",
            "Христов",
            "Стоянов",
            "Тодоров",
            "Илиев",
            "Ангелов",
        ],
        cities: &["София", "Пловдив", "Варна", "Бургас", "Русе"],
        legal: &["ЕООД", "ООД", "АД"],
        domain: "bg",
    },
    Country {
        code: "US",
        first: &[
            "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Susan", "Emily",
            "Daniel",
        ],
        last: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
            "Moore", "Clark",
        ],
        cities: &["New York", "Chicago", "Austin", "Seattle", "Boston"],
        legal: &["Inc.", "LLC", "Corp."],
        domain: "com",
    },
];

const WORDS: &[&str] = &[
    "Nord",
    "Alfa",
    "Vega",
    "Orion",
    "Solar",
    "Terra",
    "Delta",
    "Prime",
    "Nova",
    "Atlas",
    "Zenit",
    "Polar",
    "Astra",
    "Vector",
    "Lumen",
    "Ромашка",
    "Восток",
    "Гранит",
    "Старт",
    "Балтика",
    "Rivage",
    "Horizon",
    "Clairvue",
    "한빛",
    "미래",
    "Балкан",
    "Родина",
];
const INDUSTRIES: &[&str] =
    &["Retail", "Manufacturing", "Logistics", "IT", "Construction", "Healthcare", "Finance", "Education", "Food"];
const TAGS: &[&str] = &["vip", "wholesale", "partner", "newsletter", "expo-2026", "tender", "key-account", "cold"];
const SOURCES: &[&str] = &["website", "referral", "exhibition", "cold call", "advertising", "import"];
const ROLES: &[&str] = &["director", "chief_accountant", "lawyer", "secretary", "buyer"];
const TITLES: &[&str] =
    &["CEO", "Head of Purchasing", "Accountant", "Sales Director", "Office Manager", "Lawyer", "Buyer"];

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// A phone number of `country`, written the messy ways people write them. National formats
/// are used only when `country` is the default region (otherwise they would mean another
/// number); elsewhere the number carries its country code, in varied spacing.
fn phone(rng: &mut StdRng, country: &str, default_region: &str) -> String {
    let national = country == default_region;
    match country {
        "RU" => {
            let (area, rest) = if rng.gen_bool(0.5) {
                ("495".to_owned(), digits(rng, 7))
            } else {
                (format!("9{}", digits(rng, 2)), digits(rng, 7))
            };
            let (a, b, c) = (&rest[0..3], &rest[3..5], &rest[5..7]);
            match (national, rng.gen_range(0..3)) {
                (true, 0) => format!("8 ({area}) {a}-{b}-{c}"),
                (true, 1) => format!("8{area}{rest}"),
                (_, 2) => format!("+7 ({area}) {a}-{b}-{c}"),
                _ => format!("+7 {area} {a} {b} {c}"),
            }
        }
        "FR" => {
            let lead = if rng.gen_bool(0.5) { "1" } else { "6" };
            let rest = digits(rng, 8);
            let pairs: Vec<&str> = (0..4).map(|i| &rest[i * 2..i * 2 + 2]).collect();
            if national { format!("0{lead} {}", pairs.join(" ")) } else { format!("+33 {lead} {}", pairs.join(" ")) }
        }
        "KR" => {
            if rng.gen_bool(0.5) {
                let (a, b) = (digits(rng, 3), digits(rng, 4));
                let a = format!("{}{}", rng.gen_range(2..10), &a[1..]);
                if national { format!("02-{a}-{b}") } else { format!("+82 2-{a}-{b}") }
            } else {
                let (a, b) = (digits(rng, 4), digits(rng, 4));
                let a = format!("{}{}", rng.gen_range(2..10), &a[1..]);
                if national { format!("010-{a}-{b}") } else { format!("+82 10-{a}-{b}") }
            }
        }
        "BG" => {
            let rest = digits(rng, 7);
            let rest = format!("{}{}", rng.gen_range(2..10), &rest[1..]);
            if national {
                format!("02 {} {}", &rest[0..3], &rest[3..7])
            } else {
                format!("+359 2 {} {}", &rest[0..3], &rest[3..7])
            }
        }
        _ => {
            let area = ["212", "312", "512", "206", "617"][rng.gen_range(0..5)];
            let ex = rng.gen_range(201..999);
            let line = digits(rng, 4);
            if national { format!("({area}) {ex}-{line}") } else { format!("+1 {area}-{ex}-{line}") }
        }
    }
}

fn translit(s: &str) -> String {
    const MAP: &[(&str, &str)] = &[
        ("а", "a"),
        ("б", "b"),
        ("в", "v"),
        ("г", "g"),
        ("д", "d"),
        ("е", "e"),
        ("ё", "e"),
        ("ж", "zh"),
        ("з", "z"),
        ("и", "i"),
        ("й", "y"),
        ("к", "k"),
        ("л", "l"),
        ("м", "m"),
        ("н", "n"),
        ("о", "o"),
        ("п", "p"),
        ("р", "r"),
        ("с", "s"),
        ("т", "t"),
        ("у", "u"),
        ("ф", "f"),
        ("х", "h"),
        ("ц", "ts"),
        ("ч", "ch"),
        ("ш", "sh"),
        ("щ", "sht"),
        ("ъ", "a"),
        ("ы", "y"),
        ("ь", ""),
        ("э", "e"),
        ("ю", "yu"),
        ("я", "ya"),
    ];
    let mut out = String::new();
    for ch in clientele_core::domain::client::fold(s).chars() {
        let c = ch.to_string();
        match MAP.iter().find(|(k, _)| *k == c) {
            Some((_, v)) => out.push_str(v),
            None if ch.is_ascii_alphanumeric() => out.push(ch),
            None => {}
        }
    }
    if out.is_empty() { "client".into() } else { out }
}

/// Creates the demo custom fields once.
async fn ensure_fields(services: &Services) -> anyhow::Result<()> {
    let actor = Actor::system("demo");
    let existing = services.list_custom_fields(&actor, Some("contact")).await?;
    if existing.iter().any(|d| d.key == "segment") {
        return Ok(());
    }
    for (key, label, t, options) in [
        ("segment", "Segment", "select", vec!["smb", "mid-market", "enterprise"]),
        ("budget", "Budget", "number", vec![]),
    ] {
        services
            .create_custom_field(
                &actor,
                CreateFieldRequest {
                    entity: "contact".into(),
                    key: key.into(),
                    label: label.into(),
                    field_type: t.into(),
                    options: options.into_iter().map(String::from).collect(),
                    required: false,
                    position: 0,
                },
            )
            .await?;
    }
    Ok(())
}

/// Generates `scale` contacts (and a company for every five) owned by `owners`. Returns
/// (companies, contacts) created.
pub async fn generate(
    services: &Services,
    store: &SqlStore,
    scale: usize,
    owners: &[Uuid],
    region: &str,
    seed: u64,
) -> anyhow::Result<(usize, usize)> {
    ensure_fields(services).await?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let parse_region = Region::parse(region).ok();
    let batch = 5_000usize;
    let mut made_contacts = 0usize;
    let mut made_companies = 0usize;
    let mut last_report = Instant::now();
    while made_contacts < scale {
        let n = batch.min(scale - made_contacts);
        let mut companies: Vec<Company> = Vec::new();
        let mut contacts: Vec<ContactLoad> = Vec::with_capacity(n);
        let mut current: Option<(usize, Company)> = None;
        for _ in 0..n {
            let country = &COUNTRIES[rng.gen_range(0..COUNTRIES.len())];
            let owner = owners.choose(&mut rng).copied();
            let at = now() - Duration::minutes(rng.gen_range(0..525_600));
            // 80% of people work in a company; a company has 2-8 contact persons.
            if current.as_ref().is_none_or(|(left, _)| *left == 0) && rng.gen_bool(0.8) {
                let word = WORDS[rng.gen_range(0..WORDS.len())];
                let name = format!(
                    "{} {} {}",
                    country.legal[rng.gen_range(0..country.legal.len())],
                    word,
                    rng.gen_range(1..1000)
                );
                let id = new_id();
                let mut p = Problems::new();
                let phones = parse_phones(
                    "phones",
                    &[PhoneInput::Plain(phone(&mut rng, country.code, region))],
                    parse_region,
                    &mut p,
                );
                let company = Company {
                    id,
                    version: 1,
                    legal_name: None,
                    tax_number: Some(digits(&mut rng, 10)),
                    website: Some(format!("https://{}.{}", translit(word), country.domain)),
                    industry: Some(INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())].to_owned()),
                    owner_id: owner,
                    source: Some(SOURCES[rng.gen_range(0..SOURCES.len())].to_owned()),
                    lifecycle: Lifecycle::ALL[rng.gen_range(0..4)],
                    phones,
                    emails: vec![Email {
                        address: format!("info{}@{}.{}", rng.gen_range(1..100_000), translit(word), country.domain),
                        kind: "work".into(),
                    }],
                    address: Some(Address {
                        city: Some(country.cities[rng.gen_range(0..country.cities.len())].to_owned()),
                        country: Some(country.code.to_owned()),
                        ..Default::default()
                    }),
                    important_dates: vec![],
                    notes: None,
                    tags: if rng.gen_bool(0.3) { vec![TAGS[rng.gen_range(0..TAGS.len())].to_owned()] } else { vec![] },
                    custom_fields: Map::new(),
                    last_contacted_at: rng
                        .gen_bool(0.7)
                        .then(|| at + Duration::days(rng.gen_range(0..100)))
                        .filter(|t| *t < now()),
                    created_at: at,
                    updated_at: at,
                    deleted_at: None,
                    merged_into: None,
                    name,
                };
                companies.push(company.clone());
                current = Some((rng.gen_range(2..9), company));
            } else if current.as_ref().is_some_and(|(left, _)| *left == 0) {
                current = None;
            }
            let first = country.first[rng.gen_range(0..country.first.len())];
            let last = country.last[rng.gen_range(0..country.last.len())];
            let female =
                ["а", "я"].iter().any(|e| first.ends_with(e)) && (country.code == "RU" || country.code == "BG");
            let last = if female { format!("{last}а") } else { last.to_owned() };
            let display = if country.code == "KR" { format!("{last}{first}") } else { format!("{first} {last}") };
            let mut p = Problems::new();
            let mut inputs = vec![PhoneInput::Plain(phone(&mut rng, country.code, region))];
            if rng.gen_bool(0.3) {
                inputs.push(PhoneInput::Full {
                    number: phone(&mut rng, country.code, region),
                    kind: Some("work".into()),
                    e164: None,
                    flag: None,
                });
            }
            let phones: Vec<Phone> = parse_phones("phones", &inputs, parse_region, &mut p);
            let email_domain = current
                .as_ref()
                .map(|(_, c)| format!("{}.{}", translit(c.name.split(' ').nth(1).unwrap_or("mail")), country.domain))
                .unwrap_or_else(|| format!("mail.{}", country.domain));
            let emails = vec![Email {
                address: format!(
                    "{}.{}{}@{}",
                    translit(first),
                    translit(&last),
                    rng.gen_range(1..10_000),
                    email_domain
                ),
                kind: "work".into(),
            }];
            let mut custom = Map::new();
            custom.insert("segment".into(), json!(["smb", "mid-market", "enterprise"][rng.gen_range(0..3)]));
            custom.insert("budget".into(), json!(rng.gen_range(1..1000) * 100));
            let birthday =
                NaiveDate::from_ymd_opt(rng.gen_range(1960..2004), rng.gen_range(1..13), rng.gen_range(1..29));
            let company_id = current.as_ref().map(|(_, c)| c.id);
            let id = new_id();
            let contact = Contact {
                id,
                version: 1,
                first_name: Some(first.to_owned()),
                last_name: Some(last.clone()),
                display_name: display,
                title: company_id.map(|_| TITLES[rng.gen_range(0..TITLES.len())].to_owned()),
                company_id,
                owner_id: owner,
                source: Some(SOURCES[rng.gen_range(0..SOURCES.len())].to_owned()),
                lifecycle: Lifecycle::ALL[rng.gen_range(0..4)],
                phones,
                emails,
                address: Some(Address {
                    city: Some(country.cities[rng.gen_range(0..country.cities.len())].to_owned()),
                    country: Some(country.code.to_owned()),
                    ..Default::default()
                }),
                important_dates: birthday
                    .filter(|_| rng.gen_bool(0.6))
                    .map(|d| ImportantDate { kind: "birthday".into(), label: None, date: d, yearly: true })
                    .into_iter()
                    .collect(),
                notes: None,
                tags: (0..rng.gen_range(0..3)).map(|_| TAGS[rng.gen_range(0..TAGS.len())].to_owned()).collect(),
                custom_fields: custom,
                last_contacted_at: rng.gen_bool(0.7).then(|| now() - Duration::days(rng.gen_range(0..400))),
                created_at: at,
                updated_at: at + Duration::days(rng.gen_range(0..30)).min(now() - at),
                deleted_at: None,
                merged_into: None,
            };
            let link = current.as_mut().map(|(left, c)| {
                *left -= 1;
                CompanyLink {
                    company_id: c.id,
                    contact_id: id,
                    role: Some(ROLES[rng.gen_range(0..ROLES.len())].to_owned()),
                    is_primary: true,
                }
            });
            let body = contact.search_body(current.as_ref().map(|(_, c)| c.name.as_str()));
            contacts.push(ContactLoad { contact, link, search_body: body });
        }
        let audit = clientele_core::domain::audit::AuditEntry {
            id: new_id(),
            at: now(),
            actor_id: None,
            actor_name: "demo".into(),
            action: "generate".into(),
            entity_type: "contact".into(),
            entity_id: new_id(),
            changes: json!({"contacts": {"new": contacts.len()}, "companies": {"new": companies.len()}}),
        };
        store.bulk_load(&companies, &contacts, &audit).await?;
        made_contacts += contacts.len();
        made_companies += companies.len();
        if last_report.elapsed().as_secs() >= 5 {
            let rate = made_contacts as f64 / started.elapsed().as_secs_f64();
            eprintln!("  {made_contacts}/{scale} contacts ({rate:.0}/s)");
            last_report = Instant::now();
        }
    }
    store.analyze().await?;
    Ok((made_companies, made_contacts))
}
