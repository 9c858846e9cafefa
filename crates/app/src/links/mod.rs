//! Tracked links (雷达链接, issue 17 §4), the public side: what happens when someone opens a link a
//! manager sent or shared, reads the article behind it or forwards it. No caller: the opener is a
//! customer's browser, known only by the signed token and a first-party visitor cookie.
//!
//! Like the WeCom callback (`wecom::callback`), an event is accepted only through a ladder of
//! refusals — the token's length, alphabet, layout, signature (the vault's link key, compared in
//! constant time) and expiry, then for a read its seconds — each refusal logged with its reason and
//! recording nothing; then it is handed to the group-commit writer ([`writer`]) and the answer waits
//! for its commit. The web shows a refused token one neutral page whatever the reason.
//!
//! Anonymous openers: a Moments or group link names the manager and the channel only, so its events
//! carry the browser's visitor id and no customer. When the same visitor id later opens a link naming
//! a customer, the store matches the visitor to that customer — the first customer it opens a link of,
//! for good — and its anonymous events, earlier and later, count as that customer's (`LinkStore`).
//! The timeline gets `link_opened` only for opens of a link that names the customer: an anonymous
//! open is not written into a customer's timeline after the fact.

pub mod interest;
pub mod target;
pub mod writer;

use base64::Engine as _;
use rand::RngCore;
use siyu_content::link_token::{LinkToken, TokenError};
use siyu_domain::lang::Text;
use siyu_store::{LinkEventKind, NewLinkEvent};

pub use target::Target;
use writer::WriteError;

use crate::state::AppState;

/// The cookie that tells a returning browser apart: 128 random bits, base64url, nothing else in it.
pub const VISITOR_COOKIE: &str = "sy_v";

/// A visitor id's length: 16 random bytes in base64url without padding.
const VISITOR_CHARS: usize = 22;

/// Read time one beacon may report, in seconds: at least one, at most an hour (a page left open
/// overnight is not an hour's reading, and a bigger figure is someone's script).
pub const READ_SECS: std::ops::RangeInclusive<i64> = 1..=3600;

/// Why an event was not recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refusal {
    /// The token is malformed, tampered, signed with another key or expired: nothing is recorded and
    /// the opener is told nothing of why.
    #[error("refused link token: {0}")]
    Token(TokenError),
    /// A read's seconds outside [`READ_SECS`].
    #[error("read time outside {min}..={max} s", min = READ_SECS.start(), max = READ_SECS.end())]
    BadSeconds,
    /// Not recorded now (queue full, or the store refused the batch): try again.
    #[error("{0}")]
    Unavailable(WriteError),
}

impl Refusal {
    /// Words for the opener, in whichever language the web picks.
    pub fn text(&self) -> Text {
        match self {
            Self::Token(_) => Text::new("links.unavailable_title"),
            Self::BadSeconds => {
                Text::new("links.bad_seconds").arg("min", READ_SECS.start()).arg("max", READ_SECS.end())
            }
            Self::Unavailable(_) => Text::new("links.busy"),
        }
    }
}

/// The browser an event came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub id: String,
    /// Made for this request: the web sets the cookie.
    pub new: bool,
}

impl Visitor {
    /// The visitor the cookie names, or a new one when there is none or it is not one of ours.
    pub fn from_cookie(cookie: Option<&str>) -> Self {
        match cookie {
            Some(v)
                if v.len() == VISITOR_CHARS
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Self { id: v.to_owned(), new: false }
            }
            _ => {
                let mut bytes = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut bytes);
                Self { id: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes), new: true }
            }
        }
    }
}

/// An open recorded: where to send the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub target: Target,
    pub visitor: Visitor,
}

/// Verifies a token with the vault's link key.
fn verify(state: &AppState, token: &str) -> Result<LinkToken, Refusal> {
    LinkToken::decode(token, state.clock.now(), |m| state.vault.link_tag(m)).map_err(|e| {
        tracing::info!(reason = %e, "tracked link refused");
        Refusal::Token(e)
    })
}

async fn record(
    state: &AppState,
    token: &LinkToken,
    visitor: &Visitor,
    kind: LinkEventKind,
    seconds: i64,
    interests: Vec<siyu_domain::TagId>,
) -> Result<(), Refusal> {
    let event = NewLinkEvent {
        version_id: token.version,
        customer_id: token.customer(),
        staff_id: token.staff,
        channel: token.channel().code().to_owned(),
        visitor: visitor.id.clone(),
        kind,
        seconds,
        at: state.clock.now(),
        // Only the tags the customer lacks: an open that gives nothing new never waits on the tag
        // lock in the writer (a customer re-reading is the common case).
        interests: match token.customer() {
            Some(c) => interests.into_iter().filter(|t| !state.engine.is_tagged(*t, c)).collect(),
            None => Vec::new(),
        },
    };
    state.link_writer().record(event).await.map_err(|e| {
        match &e {
            WriteError::Full => tracing::warn!("link event queue full: open answered busy"),
            other => tracing::error!(error = %other, "link event not recorded"),
        }
        Refusal::Unavailable(e)
    })
}

/// Someone opened a link: records the open once committed and says where the link leads.
pub async fn open(state: &AppState, token: &str, visitor_cookie: Option<&str>) -> Result<Opened, Refusal> {
    let token = verify(state, token)?;
    let visitor = Visitor::from_cookie(visitor_cookie);
    let r = target::resolved(state, token.version).await;
    record(state, &token, &visitor, LinkEventKind::Open, 0, r.interests).await?;
    Ok(Opened { target: r.target, visitor })
}

/// The article page's beacon: `seconds` more read.
pub async fn read(
    state: &AppState,
    token: &str,
    visitor_cookie: Option<&str>,
    seconds: i64,
) -> Result<Visitor, Refusal> {
    let token = verify(state, token)?;
    if !READ_SECS.contains(&seconds) {
        return Err(Refusal::BadSeconds);
    }
    let visitor = Visitor::from_cookie(visitor_cookie);
    record(state, &token, &visitor, LinkEventKind::Read, seconds, Vec::new()).await?;
    Ok(visitor)
}

/// The article page's forward (share) button or menu was used.
pub async fn forward(state: &AppState, token: &str, visitor_cookie: Option<&str>) -> Result<Visitor, Refusal> {
    let token = verify(state, token)?;
    let visitor = Visitor::from_cookie(visitor_cookie);
    record(state, &token, &visitor, LinkEventKind::Forward, 0, Vec::new()).await?;
    Ok(visitor)
}
