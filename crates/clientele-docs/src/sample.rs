//! Sample documents: what [`crate::validate_template`] renders, and a preview for the UI.

use crate::labels::Labels;
use crate::model::{Document, DocumentKind, Field, LineItem, Party, TextBlock};

/// A small PNG logo for the sample document (240×80 pixels).
const SAMPLE_LOGO: &[u8] = include_bytes!("../assets/sample-logo.png");

/// A realistic document of `kind` with every field filled, labelled for `locale`; the UI can
/// render it to preview a template.
pub fn sample_document(kind: DocumentKind, locale: &str) -> Document {
    let (number, due_date, amount_due) = match kind {
        DocumentKind::Invoice => ("INV-2026-0001", "14.04.2026", Some("1 500.00".to_owned())),
        DocumentKind::Quote => ("Q-2026-0001", "30.04.2026", None),
    };
    Document {
        kind,
        number: number.into(),
        lang: locale.into(),
        labels: Labels::for_locale(locale),
        issue_date: "31.03.2026".into(),
        due_date: Some(due_date.into()),
        currency: "EUR".into(),
        seller: Party {
            name: "Northwind Consulting SARL".into(),
            address_lines: vec!["12 rue des Lilas".into(), "75011 Paris".into(), "France".into()],
            tax_number: Some("FR40 123456789".into()),
            registration: vec![Field::new("SIRET", "123 456 789 00012")],
            contact_person: Some("Alice Martin".into()),
            phone: Some("+33 1 23 45 67 89".into()),
            email: Some("billing@northwind.example".into()),
            bank_details: vec![
                Field::new("Bank", "Banque Exemple"),
                Field::new("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
                Field::new("BIC", "AGRIFRPPXXX"),
            ],
        },
        logo: Some(SAMPLE_LOGO.to_vec()),
        buyer: Party {
            name: "Contoso Ltd".into(),
            address_lines: vec!["1 Market Street".into(), "London EC1A 1AA".into(), "United Kingdom".into()],
            tax_number: Some("GB123456789".into()),
            registration: Vec::new(),
            contact_person: Some("Bob Smith".into()),
            phone: Some("+44 20 7946 0000".into()),
            email: Some("bob.smith@contoso.example".into()),
            bank_details: Vec::new(),
        },
        items: vec![
            LineItem {
                name: "Consulting".into(),
                description: Some("Requirements workshop, two sessions".into()),
                quantity: "8".into(),
                unit: Some("h".into()),
                unit_price: "120.00".into(),
                discount_percent: None,
                tax_percent: Some("20".into()),
                total: "960.00".into(),
            },
            LineItem {
                name: "CRM set-up".into(),
                description: None,
                quantity: "1".into(),
                unit: Some("pcs".into()),
                unit_price: "400.00".into(),
                discount_percent: Some("10".into()),
                tax_percent: Some("20".into()),
                total: "360.00".into(),
            },
        ],
        subtotal: "1 360.00".into(),
        discount_total: Some("40.00".into()),
        tax_total: Some("264.00".into()),
        total: "1 584.00".into(),
        amount_due,
        payment_terms: Some("Payment within 14 days by bank transfer.".into()),
        notes: Some("Thank you for your business.".into()),
        blocks: vec![TextBlock { title: Some("Terms".into()), body: "Prices exclude travel expenses.".into() }],
    }
}

/// A document with every optional field and list empty, and no line item.
pub(crate) fn minimal_document(kind: DocumentKind) -> Document {
    Document {
        kind,
        number: "1".into(),
        lang: "en".into(),
        labels: Labels::for_locale("en"),
        issue_date: "31.03.2026".into(),
        due_date: None,
        currency: "EUR".into(),
        seller: Party { name: "Seller".into(), ..Party::default() },
        logo: None,
        buyer: Party { name: "Buyer".into(), ..Party::default() },
        items: Vec::new(),
        subtotal: "0.00".into(),
        discount_total: None,
        tax_total: None,
        total: "0.00".into(),
        amount_due: None,
        payment_terms: None,
        notes: None,
        blocks: Vec::new(),
    }
}
