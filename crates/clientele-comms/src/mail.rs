//! E-mail: SMTP sending (lettre; `smtp_tls` = `starttls` (default), `tls` (implicit) or
//! `none`), IMAP reading (async-imap over tokio, `imap_tls` = `tls` (default), `starttls` or
//! `none`) and MIME parsing (mail-parser).

use std::time::Duration;

use async_trait::async_trait;
use clientele_core::comms::{MailPort, MailboxBatch, OutgoingEmail, ParsedEmail, SendError};
use clientele_core::domain::inbox::{Channel, bare_message_id, message_ids};
use futures_util::TryStreamExt;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mail_parser::{MessageParser, MimeHeaders};
use tokio::io::{AsyncRead, AsyncWrite};

const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Mail;

/// Builds the RFC 5322 message (multipart/alternative text + HTML, attachments as mixed).
pub fn build_message(e: &OutgoingEmail) -> Result<lettre::Message, SendError> {
    let perm = |m: String| SendError::Permanent(m);
    let from: Mailbox = format!("{} <{}>", e.from_name.clone().unwrap_or_default(), e.from_addr)
        .trim()
        .parse()
        .or_else(|_| e.from_addr.parse())
        .map_err(|err| perm(format!("the sender `{}` is not an address: {err}", e.from_addr)))?;
    let mut b = lettre::Message::builder()
        .from(from)
        .subject(e.subject.clone())
        .message_id(Some(format!("<{}>", e.message_id)));
    for to in &e.to {
        let mb: Mailbox = to.parse().map_err(|err| perm(format!("`{to}` is not an address: {err}")))?;
        b = b.to(mb);
    }
    if let Some(r) = &e.in_reply_to {
        b = b.in_reply_to(format!("<{r}>"));
    }
    if !e.references.is_empty() {
        b = b.references(e.references.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(" "));
    }
    for (name, value) in &e.headers {
        let n = HeaderName::new_from_ascii(name.clone()).map_err(|_| perm(format!("bad header name {name}")))?;
        b = b.raw_header(HeaderValue::new(n, value.clone()));
    }
    let text = SinglePart::plain(e.text.clone());
    let body = match &e.html {
        Some(h) => MultiPart::alternative().singlepart(text).singlepart(SinglePart::html(h.clone())),
        None => MultiPart::mixed().singlepart(text),
    };
    let body = if e.attachments.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (name, ct, bytes) in &e.attachments {
            let ct = ContentType::parse(ct)
                .unwrap_or(ContentType::parse("application/octet-stream").map_err(|e| perm(e.to_string()))?);
            mixed = mixed.singlepart(Attachment::new(name.clone()).body(bytes.clone(), ct));
        }
        mixed
    };
    b.multipart(body).map_err(|err| perm(format!("the message could not be built: {err}")))
}

fn smtp_transport(ch: &Channel) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let host = ch.setting("smtp_host").ok_or_else(|| SendError::Permanent("the channel has no SMTP server".into()))?;
    let mode = ch.setting("smtp_tls").unwrap_or("starttls");
    let tls = match mode {
        "none" => Tls::None,
        m => {
            let params = TlsParameters::new(host.to_owned())
                .map_err(|e| SendError::Permanent(format!("TLS settings for {host}: {e}")))?;
            if m == "tls" { Tls::Wrapper(params) } else { Tls::Required(params) }
        }
    };
    let default_port = match mode {
        "tls" => 465,
        "none" => 25,
        _ => 587,
    };
    let port = ch.setting_u64("smtp_port").and_then(|p| u16::try_from(p).ok()).unwrap_or(default_port);
    let mut b =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).tls(tls).timeout(Some(TIMEOUT));
    if let (Some(user), Some(pass)) = (ch.setting("smtp_username"), ch.secrets.get("smtp_password")) {
        b = b.credentials(Credentials::new(user.to_owned(), pass.to_owned()));
    }
    Ok(b.build())
}

/// Anything IMAP can run over (plain TCP or TLS), boxed so one session type serves both.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

async fn tls_wrap(host: &str, stream: tokio::net::TcpStream) -> anyhow::Result<Box<dyn Io>> {
    use std::sync::Arc;
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, stream).await?;
    Ok(Box::new(tls))
}

async fn imap_fetch(ch: &Channel, validity: Option<u32>, after: u32, max: usize) -> anyhow::Result<MailboxBatch> {
    use anyhow::Context;
    let host = ch.setting("imap_host").context("the channel has no IMAP server")?;
    let mode = ch.setting("imap_tls").unwrap_or("tls");
    let port = ch.setting_u64("imap_port").and_then(|p| u16::try_from(p).ok()).unwrap_or(if mode == "tls" {
        993
    } else {
        143
    });
    let user = ch.setting("imap_username").or(ch.setting("from_address")).context("no IMAP user name")?;
    let pass = ch.secrets.get("imap_password").context("no IMAP password (secrets.imap_password)")?;
    let tcp = tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect((host, port)))
        .await
        .context("connecting to the IMAP server timed out")?
        .with_context(|| format!("connecting to {host}:{port}"))?;
    let stream: Box<dyn Io> = match mode {
        "tls" => tls_wrap(host, tcp).await?,
        "starttls" => {
            let mut c = async_imap::Client::new(tcp);
            c.read_response().await?.context("no greeting from the IMAP server")?;
            c.run_command_and_check_ok("STARTTLS", None).await.context("STARTTLS")?;
            tls_wrap(host, c.into_inner()).await?
        }
        _ => Box::new(tcp),
    };
    let mut client = async_imap::Client::new(stream);
    if mode != "starttls" {
        client.read_response().await?.context("no greeting from the IMAP server")?;
    }
    let mut session = client.login(user, pass).await.map_err(|(e, _)| e).context("IMAP login")?;
    let folder = ch.setting("imap_folder").unwrap_or("INBOX");
    let mailbox = session.select(folder).await.with_context(|| format!("selecting {folder}"))?;
    let uidvalidity = mailbox.uid_validity.unwrap_or(0);
    let after = if Some(uidvalidity) == validity { after } else { 0 };
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", after + 1))
        .await
        .context("searching new mail")?
        .into_iter()
        .filter(|u| *u > after)
        .collect();
    uids.sort_unstable();
    uids.truncate(max);
    let mut mails = Vec::new();
    if !uids.is_empty() {
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let fetched: Vec<_> = session.uid_fetch(&set, "(UID BODY.PEEK[])").await?.try_collect().await?;
        for f in fetched {
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                mails.push((uid, body.to_vec()));
            }
        }
        mails.sort_by_key(|(u, _)| *u);
    }
    let _ = session.logout().await;
    Ok(MailboxBatch { uidvalidity, mails })
}

/// Reads an RFC 5322 message.
pub fn parse(raw: &[u8]) -> Option<ParsedEmail> {
    let m = MessageParser::default().parse(raw)?;
    // A message needs at least a sender or a body to be one.
    m.from()?;
    let ids = |v: &mail_parser::HeaderValue| -> Vec<String> {
        v.as_text_list().map(|l| l.iter().flat_map(|s| message_ids(s)).collect()).unwrap_or_default()
    };
    let from = m.from().and_then(|a| a.first());
    let auto = m.header_raw("Auto-Submitted").is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        || m.header_raw("Precedence")
            .is_some_and(|v| ["bulk", "list", "junk"].contains(&v.trim().to_lowercase().as_str()));
    let attachments = m
        .attachments()
        .map(|p| {
            let ct = p
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
                .unwrap_or_else(|| "application/octet-stream".into());
            (p.attachment_name().unwrap_or("attachment").to_owned(), ct, p.contents().to_vec())
        })
        .collect();
    let text = m.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    Some(ParsedEmail {
        message_id: m.message_id().and_then(bare_message_id),
        in_reply_to: ids(m.in_reply_to()).pop(),
        references: ids(m.references()),
        from_addr: from.and_then(|a| a.address()).map(str::to_lowercase),
        from_name: from.and_then(|a| a.name()).map(str::to_owned),
        to: m.to().map(|a| a.iter().filter_map(|x| x.address()).map(str::to_lowercase).collect()).unwrap_or_default(),
        subject: m.subject().map(str::to_owned),
        // Only a real HTML part (mail-parser would otherwise make one from the text).
        html: m.html_part(0).filter(|p| p.is_text_html()).and_then(|_| m.body_html(0)).map(|h| h.into_owned()),
        text,
        date: m.date().and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0)),
        automatic: auto,
        attachments,
    })
}

#[async_trait]
impl MailPort for Mail {
    async fn send(&self, ch: &Channel, email: &OutgoingEmail) -> Result<String, SendError> {
        let msg = build_message(email)?;
        let transport = smtp_transport(ch)?;
        match transport.send(msg).await {
            Ok(r) => Ok(format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" "))),
            Err(e) if e.is_permanent() => {
                Err(SendError::Permanent(format!("the SMTP server refused the message: {e}")))
            }
            Err(e) => Err(SendError::Transient(format!("the SMTP server could not take the message: {e}"))),
        }
    }

    async fn fetch(
        &self,
        ch: &Channel,
        uidvalidity: Option<u32>,
        after_uid: u32,
        max: usize,
    ) -> anyhow::Result<MailboxBatch> {
        imap_fetch(ch, uidvalidity, after_uid, max).await
    }

    fn parse(&self, raw: &[u8]) -> Option<ParsedEmail> {
        parse(raw)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn builds_and_reads_back_threading_headers() {
        let e = OutgoingEmail {
            from_addr: "sales@acme.test".into(),
            from_name: Some("Acme Sales".into()),
            to: vec!["ann@client.test".into()],
            subject: "Re: Offer — цена".into(),
            text: "Hello Ann".into(),
            html: Some("<p>Hello Ann</p>".into()),
            message_id: "abc@acme.test".into(),
            in_reply_to: Some("q1@client.test".into()),
            references: vec!["q0@client.test".into(), "q1@client.test".into()],
            attachments: vec![("offer.pdf".into(), "application/pdf".into(), b"%PDF-1.7".to_vec())],
            headers: vec![("List-Unsubscribe".into(), "<https://crm.test/u/t>".into())],
        };
        let raw = build_message(&e).unwrap().formatted();
        let p = parse(&raw).unwrap();
        assert_eq!(p.message_id.as_deref(), Some("abc@acme.test"));
        assert_eq!(p.in_reply_to.as_deref(), Some("q1@client.test"));
        assert_eq!(p.references, vec!["q0@client.test", "q1@client.test"]);
        assert_eq!(p.subject.as_deref(), Some("Re: Offer — цена"));
        assert_eq!(p.from_addr.as_deref(), Some("sales@acme.test"));
        assert_eq!(p.text.trim(), "Hello Ann");
        assert_eq!(p.attachments.len(), 1);
        assert_eq!(p.attachments[0].0, "offer.pdf");
        assert!(String::from_utf8_lossy(&raw).contains("List-Unsubscribe: <https://crm.test/u/t>"));
    }

    #[test]
    fn reads_a_windows_1251_message_and_auto_replies() {
        let mut raw = b"From: =?windows-1251?B?yOLg7Q==?= <ivan@client.test>\r\nTo: sales@acme.test\r\nSubject: test\r\nMessage-ID: <x1@client.test>\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n".to_vec();
        raw.extend_from_slice(&[0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]);
        let p = parse(&raw).unwrap();
        assert_eq!(p.from_name.as_deref(), Some("Иван"));
        assert_eq!(p.text.trim(), "Привет");
        assert!(p.automatic);
        assert!(parse(b"not a message at all").is_none());
    }
}
