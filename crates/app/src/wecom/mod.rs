//! siyu's side of WeCom: the callback URL (`/wecom/callback`), and the job that applies what the
//! callbacks report.

pub mod callback;
pub mod controls;
pub mod demo;
pub mod events;
pub mod intake;
pub mod sync;
pub mod tags;

use siyu_wecom::client::{RetryPolicy, WecomClient};
use siyu_wecom::crypto::{CallbackCrypto, CryptoError};

use crate::config::WecomConfig;

/// What a configured WeCom connection needs at run time.
#[derive(Debug)]
pub struct WecomRuntime {
    pub crypto: CallbackCrypto,
    pub client: WecomClient,
    pub agent_id: i64,
    pub window_secs: i64,
}

impl WecomRuntime {
    pub fn from_config(c: &WecomConfig) -> Result<Self, CryptoError> {
        let crypto = CallbackCrypto::new(c.callback_token.expose(), c.callback_aes_key.expose(), &c.corp_id)?;
        let client = WecomClient::new(&c.api_base, &c.corp_id, c.secret.expose(), RetryPolicy::default());
        Ok(Self { crypto, client, agent_id: c.agent_id, window_secs: c.callback_window_secs })
    }
}
