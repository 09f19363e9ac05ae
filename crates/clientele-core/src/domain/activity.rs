//! Activities (calls, meetings, e-mails, messages, notes logged against a record), comments
//! with @mentions, and the markdown-lite their text is written in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::client::opt_text;
use super::task::{Related, word_enum};
use super::zone::parse_time;
use crate::error::Problems;

word_enum!(ActivityKind { Call => "call", Meeting => "meeting", Email => "email", Message => "message", Note => "note" });
word_enum!(Direction { Inbound => "inbound", Outbound => "outbound" });
word_enum!(
    /// How a call went.
    CallResult {
        Connected => "connected",
        NoAnswer => "no_answer",
        Busy => "busy",
        Voicemail => "voicemail",
        WrongNumber => "wrong_number",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Activity {
    pub id: Uuid,
    pub version: i64,
    pub kind: ActivityKind,
    /// Calls, e-mails and messages: which way.
    pub direction: Option<Direction>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// When it happened (default: when it was logged).
    pub occurred_at: DateTime<Utc>,
    pub duration_seconds: Option<i32>,
    /// Calls: connected, no_answer, busy, voicemail or wrong_number.
    pub result: Option<CallResult>,
    /// Calls: a link to the recording.
    pub recording_url: Option<String>,
    pub related: Related,
    /// The client it counts for: the record itself, or a deal's or lead's contact and company.
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// call, meeting, email, message or note.
    pub kind: Option<String>,
    pub direction: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// RFC 3339, or a wall-clock time in your zone; default now.
    pub occurred_at: Option<String>,
    pub duration_seconds: Option<i32>,
    pub result: Option<String>,
    pub recording_url: Option<String>,
    pub related: Option<Related>,
}

impl ActivityInput {
    pub fn validate_into(&self, a: &mut Activity, tz: chrono_tz::Tz, p: &mut Problems) {
        match self.kind.as_deref().map(ActivityKind::parse) {
            Some(Some(k)) => a.kind = k,
            Some(None) => p.add("kind", format!("must be one of {}", ActivityKind::list())),
            None => {}
        }
        a.direction = match self.direction.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => match Direction::parse(d) {
                Some(d) if a.kind != ActivityKind::Note && a.kind != ActivityKind::Meeting => Some(d),
                Some(_) => {
                    p.add("direction", "only calls, e-mails and messages have a direction");
                    None
                }
                None => {
                    p.add("direction", format!("must be one of {}", Direction::list()));
                    None
                }
            },
            None => None,
        };
        a.subject = opt_text("subject", self.subject.as_deref(), 300, false, p);
        a.body = opt_text("body", self.body.as_deref(), 20_000, true, p);
        if a.subject.is_none() && a.body.is_none() && a.kind == ActivityKind::Note {
            p.add("body", "a note needs some text");
        }
        if let Some(t) = self.occurred_at.as_deref().filter(|s| !s.trim().is_empty()) {
            match parse_time("occurred_at", t, tz) {
                Ok(t) => a.occurred_at = t,
                Err(e) => p.add(e.field, e.message),
            }
        }
        a.duration_seconds = match self.duration_seconds {
            Some(s) if !(0..=24 * 3600).contains(&s) => {
                p.add("duration_seconds", "must be from 0 to 86400 seconds");
                None
            }
            other => other,
        };
        a.result = match self.result.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(r) if a.kind != ActivityKind::Call => {
                p.add("result", format!("only calls have a result (`{r}`)"));
                None
            }
            Some(r) => CallResult::parse(r).or_else(|| {
                p.add("result", format!("must be one of {}", CallResult::list()));
                None
            }),
            None => None,
        };
        a.recording_url = match opt_text("recording_url", self.recording_url.as_deref(), 2000, false, p) {
            Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                p.add("recording_url", "must be an http or https link");
                None
            }
            Some(_) if a.kind != ActivityKind::Call => {
                p.add("recording_url", "only calls have a recording");
                None
            }
            other => other,
        };
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: Uuid,
    pub version: i64,
    pub related: Related,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    /// Markdown-lite source.
    pub body: String,
    /// Users mentioned with `@name`.
    pub mentions: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The `@handles` in a text: `@anna` (the part of a colleague's e-mail before the `@`) or a
/// whole address `@anna@example.com`, lower-cased, each once, in order.
pub fn mention_handles(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let handle_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || !(handle_char(chars[i - 1]) || chars[i - 1] == '@'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len()
            && (handle_char(chars[j]) || (chars[j] == '@' && j + 1 < chars.len() && handle_char(chars[j + 1])))
        {
            j += 1;
        }
        let h: String = chars[i + 1..j].iter().collect::<String>().trim_end_matches(['.', '-']).to_lowercase();
        if !h.is_empty() && !out.contains(&h) {
            out.push(h);
        }
        i = j.max(i + 1);
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline markup of one line, on raw text: `**bold**`, `*italics*` / `_italics_`, `` `code` ``,
/// `[text](https://...)`, bare `https://` links, and `@mentions` that `known` accepts. Every
/// character of the input goes through [`escape`]; only the tags written here are HTML.
fn inline(s: &str, known: &dyn Fn(&str) -> Option<String>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let find = |from: usize, pat: &[char]| -> Option<usize> {
        (from..chars.len().saturating_sub(pat.len() - 1)).find(|&k| chars[k..k + pat.len()] == *pat)
    };
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        if c == '`'
            && let Some(end) = find(i + 1, &['`'])
        {
            out.push_str(&format!("<code>{}</code>", escape(&text(i + 1, end))));
            i = end + 1;
            continue;
        }
        if c == '*'
            && chars.get(i + 1) == Some(&'*')
            && let Some(end) = find(i + 2, &['*', '*'])
            && end > i + 2
        {
            out.push_str(&format!("<strong>{}</strong>", inline(&text(i + 2, end), known)));
            i = end + 2;
            continue;
        }
        if (c == '*' || c == '_')
            && chars.get(i + 1).is_some_and(|n| !n.is_whitespace())
            && (i == 0 || !chars[i - 1].is_alphanumeric())
            && let Some(end) = find(i + 1, &[c])
            && end > i + 1
        {
            out.push_str(&format!("<em>{}</em>", inline(&text(i + 1, end), known)));
            i = end + 1;
            continue;
        }
        if c == '['
            && let Some(close) = find(i + 1, &[']', '('])
            && let Some(end) = find(close + 2, &[')'])
        {
            let url = text(close + 2, end);
            if safe_url(&url) {
                out.push_str(&format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">{}</a>",
                    escape(&url),
                    escape(&text(i + 1, close))
                ));
                i = end + 1;
                continue;
            }
        }
        if (c == 'h' || c == 'H') && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let rest = text(i, chars.len());
            let lower = rest.to_ascii_lowercase();
            if lower.starts_with("https://") || lower.starts_with("http://") {
                let len = rest.chars().take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '>' | '"')).count();
                let mut url: String = rest.chars().take(len).collect();
                while url.ends_with(['.', ',', ')', ';', ':', '!', '?']) {
                    url.pop();
                }
                let n = url.chars().count();
                out.push_str(&format!(
                    "<a href=\"{0}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">{0}</a>",
                    escape(&url)
                ));
                i += n;
                continue;
            }
        }
        if c == '@' && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let handles = mention_handles(&text(i, chars.len()));
            if let Some(h) = handles.first()
                && let Some(name) = known(h)
                && text(i + 1, chars.len()).to_lowercase().starts_with(h.as_str())
            {
                out.push_str(&format!("<span class=\"mention\">@{}</span>", escape(&name)));
                i += 1 + h.chars().count();
                continue;
            }
        }
        out.push_str(&escape(&c.to_string()));
        i += 1;
    }
    out
}

fn safe_url(u: &str) -> bool {
    let l = u.trim().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://") || l.starts_with("mailto:"))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Renders markdown-lite as safe HTML: paragraphs, line breaks, `- ` / `* ` and `1. ` lists,
/// fenced code blocks, and the inline markup above. No HTML in the source survives as HTML.
/// `known` turns a mention handle into the colleague's name (unknown handles stay text).
pub fn render_markdown(src: &str, known: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut para: Vec<String> = Vec::new();
    let mut list: Option<(&str, Vec<String>)> = None;
    let mut code: Option<Vec<String>> = None;
    let flush_para = |para: &mut Vec<String>, out: &mut String| {
        if !para.is_empty() {
            out.push_str(&format!("<p>{}</p>", para.join("<br>")));
            para.clear();
        }
    };
    let flush_list = |list: &mut Option<(&str, Vec<String>)>, out: &mut String| {
        if let Some((tag, items)) = list.take() {
            out.push_str(&format!("<{tag}>"));
            for it in items {
                out.push_str(&format!("<li>{it}</li>"));
            }
            out.push_str(&format!("</{tag}>"));
        }
    };
    for line in src.replace("\r\n", "\n").split('\n') {
        if let Some(block) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push_str(&format!("<pre><code>{}</code></pre>", escape(&block.join("\n"))));
                code = None;
            } else {
                block.push(line.to_owned());
            }
            continue;
        }
        let t = line.trim();
        if t.starts_with("```") {
            flush_para(&mut para, &mut out);
            flush_list(&mut list, &mut out);
            code = Some(Vec::new());
            continue;
        }
        if t.is_empty() {
            flush_para(&mut para, &mut out);
            flush_list(&mut list, &mut out);
            continue;
        }
        let bullet = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")).or_else(|| t.strip_prefix("• "));
        let numbered = t
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.len() <= 3 && n.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, r)| r);
        match (bullet, numbered) {
            (Some(item), _) | (None, Some(item)) => {
                flush_para(&mut para, &mut out);
                let tag = if bullet.is_some() { "ul" } else { "ol" };
                if list.as_ref().is_some_and(|(t, _)| *t != tag) {
                    flush_list(&mut list, &mut out);
                }
                list.get_or_insert((tag, Vec::new())).1.push(inline(item, known));
            }
            (None, None) => {
                flush_list(&mut list, &mut out);
                para.push(inline(t, known));
            }
        }
    }
    if let Some(block) = code {
        out.push_str(&format!("<pre><code>{}</code></pre>", escape(&block.join("\n"))));
    }
    flush_para(&mut para, &mut out);
    flush_list(&mut list, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn md(s: &str) -> String {
        render_markdown(s, &none)
    }

    #[test]
    fn formatting() {
        assert_eq!(md("**bold** and *it* and _it_"), "<p><strong>bold</strong> and <em>it</em> and <em>it</em></p>");
        assert_eq!(md("`a<b>`"), "<p><code>a&lt;b&gt;</code></p>");
        assert_eq!(
            md("- one\n- **two**\n\n1. a\n2. b"),
            "<ul><li>one</li><li><strong>two</strong></li></ul><ol><li>a</li><li>b</li></ol>"
        );
        assert_eq!(md("line one\nline two"), "<p>line one<br>line two</p>");
        assert_eq!(md("```\n<b>x</b>\n```"), "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>");
        assert_eq!(
            md("see [the offer](https://example.com/a?b=1&c=2)"),
            "<p>see <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">the offer</a></p>"
        );
        assert!(md("go to https://example.com/x.").contains("href=\"https://example.com/x\""));
        assert_eq!(md("2*3*4 snake_case_name"), "<p>2*3*4 snake_case_name</p>");
    }

    #[test]
    fn no_html_injection() {
        let evil = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](https://a.example/\"onmouseover=\"alert(1))",
            "**<b>**",
            "`</code><script>`",
            "[<svg/onload=alert(1)>](https://ok.example)",
            "https://a.example/<script>",
            "\"><iframe src=//evil>",
        ];
        for e in evil {
            let html = md(e);
            let lower = html.to_lowercase();
            assert!(!lower.contains("<script"), "{e} → {html}");
            assert!(!lower.contains("<img"), "{e} → {html}");
            assert!(!lower.contains("<svg"), "{e} → {html}");
            assert!(!lower.contains("<iframe"), "{e} → {html}");
            assert!(!lower.contains("href=\"javascript"), "{e} → {html}");
            assert!(!lower.contains("\"onmouseover"), "{e} → {html}");
            // Every tag left is one of ours.
            for tag in lower.split('<').skip(1) {
                let name: String =
                    tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                assert!(
                    ["p", "br", "strong", "em", "code", "pre", "a", "ul", "ol", "li", "span"].contains(&name.as_str()),
                    "{e} → {html}"
                );
            }
        }
    }

    #[test]
    fn mentions() {
        assert_eq!(
            mention_handles("hi @Anna and @bob.s@example.com, @anna again; mail x@y.z"),
            ["anna", "bob.s@example.com"]
        );
        let known = |h: &str| (h == "anna").then(|| "Anna <Admin>".to_owned());
        assert_eq!(
            render_markdown("ping @anna, @nobody", &known),
            "<p>ping <span class=\"mention\">@Anna &lt;Admin&gt;</span>, @nobody</p>"
        );
    }
}
