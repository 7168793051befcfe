//! Webhook deliveries: the event as JSON, POSTed with `X-Iarss-Event`, `X-Iarss-Delivery`
//! and `X-Iarss-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, through a client with
//! the feeds' private-network guard, no redirects and a short timeout. A 2xx answer
//! delivers; any other answer, a timeout or a connection failure is tried again.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Attempt, NotifyOptions};
use crate::store::ClaimedDelivery;

/// Bytes of an answer's body kept at most.
const ANSWER_BYTES: usize = 512;

/// Characters of an answer's body shown at most.
const ANSWER_CHARS: usize = 200;

/// `sha256=<hex HMAC-SHA256(secret, body)>`, as `X-Iarss-Signature` carries it.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256=");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// One attempt at a webhook delivery.
pub async fn deliver(
    client: &reqwest::Client,
    options: &NotifyOptions,
    d: &ClaimedDelivery,
) -> Attempt {
    let (Some(event), Some((_, url, secret))) = (&d.event, &d.webhook) else {
        return Attempt::Skipped("the event or the webhook is gone".into());
    };
    if let Some(reason) = crate::fetch::target_refusal(url, options.allow_private_networks) {
        return Attempt::Failed {
            status: None,
            answer: None,
            error: format!("refused: {reason}"),
            retry: false,
        };
    }
    let body = match serde_json::to_vec(event) {
        Ok(b) => b,
        Err(e) => return Attempt::Skipped(format!("the event cannot be written: {e}")),
    };
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Iarss-Event", event.event.as_str())
        .header("X-Iarss-Delivery", d.id.to_string())
        .header("X-Iarss-Signature", signature(secret, &body))
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => {
            let error = if e.is_timeout() {
                format!("no answer within {} s", options.timeout.as_secs_f64())
            } else {
                // Without the URL: it may carry credentials.
                describe(&e.without_url())
            };
            return Attempt::Failed {
                status: None,
                answer: None,
                error,
                retry: true,
            };
        }
    };
    let status = response.status().as_u16();
    let mut kept = Vec::new();
    // Bounded by the client's timeout and by the bytes kept.
    while kept.len() < ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(ANSWER_BYTES)]),
            Ok(None) | Err(_) => break,
        }
    }
    let answer: String = String::from_utf8_lossy(&kept)
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(ANSWER_CHARS)
        .collect();
    let answer = (!answer.is_empty()).then_some(answer);
    if (200..300).contains(&status) {
        Attempt::Done {
            status: Some(status),
            answer,
        }
    } else {
        Attempt::Failed {
            status: Some(status),
            answer,
            error: format!("answered HTTP {status}"),
            retry: true,
        }
    }
}

/// An error and its causes, on one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    // Error chains are short; the bound only guards against a cycle.
    for _ in 0..8 {
        let Some(s) = source else { break };
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_rfc_4231_hmac() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
