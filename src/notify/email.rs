//! E-mail deliveries over SMTP (`[notify.smtp]`, with `lettre`): one e-mail per event for
//! members who want them at once (at most one per page and event kind an hour), and a
//! daily digest for those who want one. Each has a plain-text and an HTML part listing the
//! diagnostics, with links to the article and the rules when `notify.base_url` is set.

use std::fmt::Write as _;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Attempt, NotifyOptions, SmtpOptions, SmtpTls};
use crate::model::escape_html as escape;
use crate::store::{ClaimedDelivery, DeliveryChannel, Event, Store};

/// The window of the immediate e-mails' limit: one per page and event kind.
const LIMIT_WINDOW_MS: i64 = 3_600_000;

/// Events one digest lists at most.
const DIGEST_EVENTS: i64 = 500;

/// An SMTP client.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
}

impl Mailer {
    /// A client of `smtp`, each exchange bounded by `timeout`; links go to `base_url`.
    pub fn new(smtp: &SmtpOptions, timeout: Duration, base_url: &str) -> Result<Mailer, String> {
        crate::fetch::install_crypto();
        type Transport = AsyncSmtpTransport<Tokio1Executor>;
        let builder = match smtp.security {
            SmtpTls::Tls => Transport::relay(&smtp.host),
            SmtpTls::Starttls => Transport::starttls_relay(&smtp.host),
            SmtpTls::None => Ok(Transport::builder_dangerous(&smtp.host)),
        }
        .map_err(|e| format!("notify.smtp: {e}"))?;
        let mut builder = builder.port(smtp.port).timeout(Some(timeout));
        if !smtp.user.is_empty() {
            builder =
                builder.credentials(Credentials::new(smtp.user.clone(), smtp.password.clone()));
        }
        let from = smtp
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("notify.smtp.from `{}`: {e}", smtp.from))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
            base_url: base_url.to_string(),
        })
    }

    /// One attempt at an e-mail or digest delivery.
    pub async fn deliver(
        &self,
        store: &Store,
        options: &NotifyOptions,
        d: &ClaimedDelivery,
    ) -> Attempt {
        let Some((user_id, to)) = &d.user else {
            return Attempt::Skipped("the member is gone".into());
        };
        let (subject, events) = match d.channel {
            DeliveryChannel::Digest => {
                let period = options.digest_every.as_millis().max(1) as i64;
                let slot = d.slot.unwrap_or_default();
                let events = match store
                    .digest_events(*user_id, (slot - 1) * period, slot * period, DIGEST_EVENTS)
                    .await
                {
                    Ok(e) => e,
                    Err(e) => return failed(format!("reading the digest's events: {e}")),
                };
                if events.is_empty() {
                    return Attempt::Skipped("no event to tell".into());
                }
                (
                    format!("[iarss] digest: {} event(s) of your pages", events.len()),
                    events,
                )
            }
            _ => {
                let Some(event) = &d.event else {
                    return Attempt::Skipped("the event is gone".into());
                };
                // The first attempt takes the hour's one e-mail; a retry of it sends it.
                if d.attempt <= 1 {
                    match store
                        .take_email_slot(
                            *user_id,
                            &event.page_id,
                            event.event.as_str(),
                            LIMIT_WINDOW_MS,
                        )
                        .await
                    {
                        Ok(true) => {}
                        Ok(false) => {
                            return Attempt::Skipped(
                                "an e-mail of this page and event kind went out within the hour"
                                    .into(),
                            );
                        }
                        Err(e) => return failed(format!("reading the hourly limit: {e}")),
                    }
                }
                (
                    format!("[iarss] {}: {}", event.page_id, event.event),
                    vec![event.clone()],
                )
            }
        };
        let to = match to.parse::<Mailbox>() {
            Ok(m) => m,
            Err(e) => return Attempt::Skipped(format!("`{to}` is not an address: {e}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(
                text_body(&events, &self.base_url),
                html_body(&events, &self.base_url),
            ));
        let message = match message {
            Ok(m) => m,
            Err(e) => return Attempt::Skipped(format!("the e-mail cannot be written: {e}")),
        };
        match self.transport.send(message).await {
            Ok(answer) => Attempt::Done {
                status: Some(u16::from(answer.code())),
                answer: answer.first_line().map(|l| l.chars().take(200).collect()),
            },
            Err(e) => Attempt::Failed {
                status: e.status().map(u16::from),
                answer: None,
                error: e.to_string(),
                retry: !e.is_permanent(),
            },
        }
    }
}

fn failed(error: String) -> Attempt {
    Attempt::Failed {
        status: None,
        answer: None,
        error,
        retry: true,
    }
}

/// The one-line headline of an event.
fn headline(e: &Event) -> String {
    let mut line = format!("{} on page {}", e.event, e.page_id);
    if let Some(feed) = &e.feed {
        let _ = write!(line, ", {} feed {}", feed.kind, feed.url);
    }
    if let Some(a) = &e.article
        && let Some(url) = a.canonical_url.as_ref().or(a.guid.as_ref())
    {
        let _ = write!(line, ": {url}");
    }
    line
}

/// The web page of an article, when links can be made.
fn article_link(e: &Event, base: &str) -> Option<String> {
    let url = e.article.as_ref()?.canonical_url.as_ref()?;
    (!base.is_empty()).then(|| {
        let q: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
        format!("{base}/articles?url={q}")
    })
}

/// The web page of a rule, when links can be made.
fn rule_link(rule: &str, base: &str) -> Option<String> {
    (!base.is_empty()).then(|| format!("{base}/rules/{rule}"))
}

/// The plain-text part.
pub fn text_body(events: &[Event], base: &str) -> String {
    let mut out = String::new();
    for e in events {
        let _ = writeln!(out, "{}", headline(e));
        let _ = writeln!(out, "  at {}", e.created_at);
        if let Some(run) = &e.run {
            let _ = write!(out, "  run {} ({})", run.id, run.outcome);
            if let Some(error) = &run.error {
                let _ = write!(out, ": {error}");
            }
            out.push('\n');
        }
        if let Some(link) = article_link(e, base) {
            let _ = writeln!(out, "  {link}");
        }
        for d in &e.diagnostics {
            let at = match (d.line, d.column) {
                (Some(l), Some(c)) => format!("{l}:{c} "),
                (Some(l), None) => format!("{l} "),
                _ => String::new(),
            };
            let _ = writeln!(out, "  - {at}{} [{}] {}", d.severity, d.rule, d.message);
            if let Some(link) = rule_link(&d.rule, base) {
                let _ = writeln!(out, "    {link}");
            }
        }
        out.push('\n');
    }
    out
}

/// The HTML part.
pub fn html_body(events: &[Event], base: &str) -> String {
    let mut out = String::from("<!DOCTYPE html><html><body>");
    for e in events {
        let _ = write!(
            out,
            "<h2>{}</h2><p>{}",
            escape(&headline(e)),
            escape(&e.created_at)
        );
        if let Some(run) = &e.run {
            let _ = write!(out, " — run {} ({})", run.id, escape(&run.outcome));
            if let Some(error) = &run.error {
                let _ = write!(out, ": {}", escape(error));
            }
        }
        out.push_str("</p>");
        if let Some(link) = article_link(e, base) {
            let _ = write!(out, "<p><a href=\"{0}\">{0}</a></p>", escape(&link));
        }
        if !e.diagnostics.is_empty() {
            out.push_str("<ul>");
            for d in &e.diagnostics {
                let at = match (d.line, d.column) {
                    (Some(l), Some(c)) => format!("{l}:{c} "),
                    (Some(l), None) => format!("{l} "),
                    _ => String::new(),
                };
                let rule = match rule_link(&d.rule, base) {
                    Some(link) => format!("<a href=\"{}\">{}</a>", escape(&link), escape(&d.rule)),
                    None => escape(&d.rule),
                };
                let _ = write!(
                    out,
                    "<li>{}{} [{rule}] {}</li>",
                    escape(&at),
                    escape(&d.severity),
                    escape(&d.message)
                );
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("</body></html>");
    out
}
