//! The fixed words printed on a document, in the languages of the web UI.

use serde::Serialize;

/// Every fixed word the layout prints. A template can change any of them in its `[labels]` table.
///
/// [`Labels::for_locale`] gives a built-in set; a caller may change any field (for example
/// `tax` to "Sales tax" or "Без НДС") before rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labels {
    /// Title of an invoice ("Invoice").
    pub invoice: String,
    /// Title of a quote ("Quote").
    pub quote: String,
    /// Before the document number ("No.").
    pub number: String,
    pub issue_date: String,
    /// Due date of an invoice.
    pub due_date: String,
    /// Valid-until date of a quote.
    pub valid_until: String,
    /// Heading of the seller block ("From").
    pub seller: String,
    /// Heading of the buyer block on an invoice ("Bill to").
    pub buyer: String,
    /// Heading of the buyer block on a quote ("Prepared for").
    pub prepared_for: String,
    /// Column: item name ("Description").
    pub item: String,
    /// Column: quantity ("Qty").
    pub quantity: String,
    /// Column: unit of measure ("Unit").
    pub unit: String,
    /// Column: unit price ("Unit price").
    pub unit_price: String,
    /// Column and totals row: discount ("Discount").
    pub discount: String,
    /// Column and totals row: tax ("Tax").
    pub tax: String,
    /// Column: line total ("Amount").
    pub amount: String,
    pub subtotal: String,
    /// Grand total ("Total").
    pub total: String,
    /// What remains to pay ("Amount due").
    pub amount_due: String,
    pub notes: String,
    pub payment_terms: String,
    pub bank_details: String,
    /// Before the tax number ("Tax ID").
    pub tax_number: String,
    /// Before the contact person ("Contact").
    pub contact_person: String,
    pub phone: String,
    pub email: String,
    /// Before the page number ("Page").
    pub page: String,
    /// Signature line of a quote ("Accepted by (name, date, signature)").
    pub acceptance: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels::english()
    }
}

/// The languages that have a built-in label set.
pub const LABEL_LOCALES: [&str; 5] = ["en", "fr", "ru", "bg", "ko"];

impl Labels {
    /// The names of the labels, as templates write them in `[labels]`.
    pub(crate) const NAMES: [&str; 28] = [
        "invoice",
        "quote",
        "number",
        "issue_date",
        "due_date",
        "valid_until",
        "seller",
        "buyer",
        "prepared_for",
        "item",
        "quantity",
        "unit",
        "unit_price",
        "discount",
        "tax",
        "amount",
        "subtotal",
        "total",
        "amount_due",
        "notes",
        "payment_terms",
        "bank_details",
        "tax_number",
        "contact_person",
        "phone",
        "email",
        "page",
        "acceptance",
    ];

    /// Sets the label called `name` (one of [`Labels::NAMES`]); false for an unknown name.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> bool {
        let field = match name {
            "invoice" => &mut self.invoice,
            "quote" => &mut self.quote,
            "number" => &mut self.number,
            "issue_date" => &mut self.issue_date,
            "due_date" => &mut self.due_date,
            "valid_until" => &mut self.valid_until,
            "seller" => &mut self.seller,
            "buyer" => &mut self.buyer,
            "prepared_for" => &mut self.prepared_for,
            "item" => &mut self.item,
            "quantity" => &mut self.quantity,
            "unit" => &mut self.unit,
            "unit_price" => &mut self.unit_price,
            "discount" => &mut self.discount,
            "tax" => &mut self.tax,
            "amount" => &mut self.amount,
            "subtotal" => &mut self.subtotal,
            "total" => &mut self.total,
            "amount_due" => &mut self.amount_due,
            "notes" => &mut self.notes,
            "payment_terms" => &mut self.payment_terms,
            "bank_details" => &mut self.bank_details,
            "tax_number" => &mut self.tax_number,
            "contact_person" => &mut self.contact_person,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            "page" => &mut self.page,
            "acceptance" => &mut self.acceptance,
            _ => return false,
        };
        value.clone_into(field);
        true
    }

    /// The built-in set for a locale tag (`en`, `fr-FR`, `ru`, `bg`, `ko-KR`...), by its
    /// language subtag; English for any other language.
    pub fn for_locale(locale: &str) -> Labels {
        let lang = locale.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match lang.as_str() {
            "fr" => Labels::french(),
            "ru" => Labels::russian(),
            "bg" => Labels::bulgarian(),
            "ko" => Labels::korean(),
            _ => Labels::english(),
        }
    }

    fn english() -> Labels {
        Labels {
            invoice: "Invoice".into(),
            quote: "Quote".into(),
            number: "No.".into(),
            issue_date: "Date of issue".into(),
            due_date: "Due date".into(),
            valid_until: "Valid until".into(),
            seller: "From".into(),
            buyer: "Bill to".into(),
            prepared_for: "Prepared for".into(),
            item: "Description".into(),
            quantity: "Qty".into(),
            unit: "Unit".into(),
            unit_price: "Unit price".into(),
            discount: "Discount".into(),
            tax: "Tax".into(),
            amount: "Amount".into(),
            subtotal: "Subtotal".into(),
            total: "Total".into(),
            amount_due: "Amount due".into(),
            notes: "Notes".into(),
            payment_terms: "Payment terms".into(),
            bank_details: "Bank details".into(),
            tax_number: "Tax ID".into(),
            contact_person: "Contact".into(),
            phone: "Phone".into(),
            email: "Email".into(),
            page: "Page".into(),
            acceptance: "Accepted by (name, date, signature)".into(),
        }
    }

    fn french() -> Labels {
        Labels {
            invoice: "Facture".into(),
            quote: "Devis".into(),
            number: "N°".into(),
            issue_date: "Date d’émission".into(),
            due_date: "Date d’échéance".into(),
            valid_until: "Valable jusqu’au".into(),
            seller: "Émetteur".into(),
            buyer: "Facturé à".into(),
            prepared_for: "Établi pour".into(),
            item: "Désignation".into(),
            quantity: "Qté".into(),
            unit: "Unité".into(),
            unit_price: "Prix unitaire".into(),
            discount: "Remise".into(),
            tax: "TVA".into(),
            amount: "Montant".into(),
            subtotal: "Sous-total".into(),
            total: "Total".into(),
            amount_due: "Montant dû".into(),
            notes: "Remarques".into(),
            payment_terms: "Conditions de paiement".into(),
            bank_details: "Coordonnées bancaires".into(),
            tax_number: "N° TVA".into(),
            contact_person: "Contact".into(),
            phone: "Téléphone".into(),
            email: "E-mail".into(),
            page: "Page".into(),
            acceptance: "Bon pour accord (nom, date, signature)".into(),
        }
    }

    fn russian() -> Labels {
        Labels {
            invoice: "Счёт".into(),
            quote: "Коммерческое предложение".into(),
            number: "№".into(),
            issue_date: "Дата".into(),
            due_date: "Оплатить до".into(),
            valid_until: "Действительно до".into(),
            seller: "Поставщик".into(),
            buyer: "Покупатель".into(),
            prepared_for: "Для".into(),
            item: "Наименование".into(),
            quantity: "Кол-во".into(),
            unit: "Ед.".into(),
            unit_price: "Цена".into(),
            discount: "Скидка".into(),
            tax: "НДС".into(),
            amount: "Сумма".into(),
            subtotal: "Сумма без скидки".into(),
            total: "Итого".into(),
            amount_due: "К оплате".into(),
            notes: "Примечания".into(),
            payment_terms: "Условия оплаты".into(),
            bank_details: "Банковские реквизиты".into(),
            tax_number: "ИНН".into(),
            contact_person: "Контактное лицо".into(),
            phone: "Телефон".into(),
            email: "Эл. почта".into(),
            page: "Стр.".into(),
            acceptance: "Предложение принято (ФИО, дата, подпись)".into(),
        }
    }

    fn bulgarian() -> Labels {
        Labels {
            invoice: "Фактура".into(),
            quote: "Оферта".into(),
            number: "№".into(),
            issue_date: "Дата на издаване".into(),
            due_date: "Падеж".into(),
            valid_until: "Валидна до".into(),
            seller: "Доставчик".into(),
            buyer: "Получател".into(),
            prepared_for: "Изготвена за".into(),
            item: "Наименование".into(),
            quantity: "Кол.".into(),
            unit: "Мярка".into(),
            unit_price: "Ед. цена".into(),
            discount: "Отстъпка".into(),
            tax: "ДДС".into(),
            amount: "Стойност".into(),
            subtotal: "Междинна сума".into(),
            total: "Общо".into(),
            amount_due: "Сума за плащане".into(),
            notes: "Бележки".into(),
            payment_terms: "Условия на плащане".into(),
            bank_details: "Банкови данни".into(),
            tax_number: "ДДС №".into(),
            contact_person: "Лице за контакт".into(),
            phone: "Телефон".into(),
            email: "Имейл".into(),
            page: "Стр.".into(),
            acceptance: "Приета от (име, дата, подпис)".into(),
        }
    }

    fn korean() -> Labels {
        Labels {
            invoice: "청구서".into(),
            quote: "견적서".into(),
            number: "번호".into(),
            issue_date: "발행일".into(),
            due_date: "지급 기한".into(),
            valid_until: "유효 기한".into(),
            seller: "공급자".into(),
            buyer: "공급받는자".into(),
            prepared_for: "수신".into(),
            item: "품목".into(),
            quantity: "수량".into(),
            unit: "단위".into(),
            unit_price: "단가".into(),
            discount: "할인".into(),
            tax: "부가세".into(),
            amount: "금액".into(),
            subtotal: "소계".into(),
            total: "합계".into(),
            amount_due: "청구 금액".into(),
            notes: "비고".into(),
            payment_terms: "결제 조건".into(),
            bank_details: "입금 계좌".into(),
            tax_number: "사업자등록번호".into(),
            contact_person: "담당자".into(),
            phone: "전화".into(),
            email: "이메일".into(),
            page: "페이지".into(),
            acceptance: "승인 (성명, 날짜, 서명)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags_pick_their_language_and_unknown_ones_fall_back_to_english() {
        assert_eq!(Labels::for_locale("fr-FR").invoice, "Facture");
        assert_eq!(Labels::for_locale("RU").quantity, "Кол-во");
        assert_eq!(Labels::for_locale("bg_BG").invoice, "Фактура");
        assert_eq!(Labels::for_locale("ko").total, "합계");
        assert_eq!(Labels::for_locale("de").invoice, "Invoice");
        assert_eq!(Labels::for_locale("").invoice, "Invoice");
    }

    #[test]
    fn every_built_in_set_fills_every_label() {
        for locale in LABEL_LOCALES {
            let labels = serde_json::to_value(Labels::for_locale(locale)).unwrap_or_default();
            let map = labels.as_object().map(|m| m.values().cloned().collect::<Vec<_>>()).unwrap_or_default();
            assert!(map.len() > 20, "{locale}");
            assert!(map.iter().all(|v| v.as_str().is_some_and(|s| !s.trim().is_empty())), "{locale}");
        }
    }

    #[test]
    fn every_label_name_can_be_set_by_a_template() {
        let json = serde_json::to_value(Labels::default()).unwrap_or_default();
        let names: Vec<&String> = json.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        assert_eq!(names.len(), Labels::NAMES.len());
        for name in Labels::NAMES {
            let mut labels = Labels::default();
            assert!(labels.set(name, "Zz"), "{name}");
            assert_eq!(serde_json::to_value(&labels).unwrap_or_default()[name], "Zz", "{name}");
        }
        assert!(!Labels::default().set("nope", "x"));
    }
}
