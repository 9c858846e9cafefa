//! Customer-contact callback events (`change_external_contact`, `change_external_chat`,
//! `change_external_tag`) as types. Events are hints: siyu re-reads state through the API where it
//! matters, so unknown change types are kept as text rather than refused.

use sha1::{Digest, Sha1};

use crate::xml::{Fields, XmlError};

/// What happened to a customer relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactChange {
    /// A staff member added the customer (or the customer scanned a code and was accepted).
    Added,
    /// The customer added a staff member through a no-verification code, before acceptance.
    AddedHalf,
    Edited,
    /// The staff member deleted the customer.
    DeletedByStaff,
    /// The customer deleted the staff member.
    DeletedByCustomer,
    TransferFailed,
    Other(String),
}

impl ContactChange {
    fn parse(s: &str) -> Self {
        match s {
            "add_external_contact" => Self::Added,
            "add_half_external_contact" => Self::AddedHalf,
            "edit_external_contact" => Self::Edited,
            "del_external_contact" => Self::DeletedByStaff,
            "del_follow_user" => Self::DeletedByCustomer,
            "transfer_fail" => Self::TransferFailed,
            other => Self::Other(other.to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEvent {
    pub change: ContactChange,
    /// The staff member's WeCom userid.
    pub user_id: String,
    pub external_user_id: String,
    /// The contact way's `state`: which channel code the customer came through.
    pub state: Option<String>,
    /// Valid for 20 seconds, once: the key to send the welcome message.
    pub welcome_code: Option<String>,
    /// `DELETE_BY_TRANSFER` when the deletion came from a transfer.
    pub source: Option<String>,
    pub fail_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatChange {
    Created,
    /// `update_detail`: `add_member`, `del_member`, `change_owner`, `change_name`, `change_notice`.
    Updated {
        update_detail: String,
    },
    Dismissed,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatEvent {
    pub change: ChatChange,
    pub chat_id: String,
    pub join_scene: Option<i32>,
    pub quit_scene: Option<i32>,
    pub members_changed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEvent {
    /// `create`, `update`, `delete` or `shuffle`.
    pub change: String,
    pub id: Option<String>,
    /// `tag` or `tag_group`.
    pub tag_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    ExternalContact(ContactEvent),
    ExternalChat(ChatEvent),
    ExternalTag(TagEvent),
    /// Anything else (app messages, other events): acknowledged and ignored.
    Other {
        msg_type: String,
        event: Option<String>,
    },
}

/// One decrypted callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackEvent {
    /// The CorpID it was addressed to.
    pub to: String,
    pub create_time: i64,
    pub kind: EventKind,
    /// SHA-1 of the decrypted XML: the same event delivered twice has the same key.
    pub dedupe_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("event lacks {0}")]
    Missing(&'static str),
}

fn need(f: &Fields, name: &'static str) -> Result<String, EventError> {
    f.get(name).map(str::to_owned).ok_or(EventError::Missing(name))
}

fn opt(f: &Fields, name: &str) -> Option<String> {
    f.get(name).map(str::to_owned)
}

impl CallbackEvent {
    pub fn parse(plaintext: &str) -> Result<Self, EventError> {
        let f = Fields::parse(plaintext)?;
        let kind = match (f.get("MsgType"), f.get("Event")) {
            (Some("event"), Some("change_external_contact")) => EventKind::ExternalContact(ContactEvent {
                change: ContactChange::parse(&need(&f, "ChangeType")?),
                user_id: need(&f, "UserID")?,
                external_user_id: need(&f, "ExternalUserID")?,
                state: opt(&f, "State"),
                welcome_code: opt(&f, "WelcomeCode"),
                source: opt(&f, "Source"),
                fail_reason: opt(&f, "FailReason"),
            }),
            (Some("event"), Some("change_external_chat")) => {
                let change = match need(&f, "ChangeType")?.as_str() {
                    "create" => ChatChange::Created,
                    "update" => ChatChange::Updated { update_detail: opt(&f, "UpdateDetail").unwrap_or_default() },
                    "dismiss" => ChatChange::Dismissed,
                    other => ChatChange::Other(other.to_owned()),
                };
                EventKind::ExternalChat(ChatEvent {
                    change,
                    chat_id: need(&f, "ChatId")?,
                    join_scene: f.get("JoinScene").and_then(|v| v.parse().ok()),
                    quit_scene: f.get("QuitScene").and_then(|v| v.parse().ok()),
                    members_changed: f.list("MemChangeList"),
                })
            }
            (Some("event"), Some("change_external_tag")) => EventKind::ExternalTag(TagEvent {
                change: need(&f, "ChangeType")?,
                id: opt(&f, "Id"),
                tag_type: opt(&f, "TagType"),
            }),
            (msg_type, event) => {
                EventKind::Other { msg_type: msg_type.unwrap_or_default().to_owned(), event: event.map(str::to_owned) }
            }
        };
        let digest = Sha1::digest(plaintext.as_bytes());
        Ok(Self {
            to: opt(&f, "ToUserName").unwrap_or_default(),
            create_time: f.get("CreateTime").and_then(|v| v.parse().ok()).unwrap_or(0),
            kind,
            dedupe_key: digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_add_with_state_and_welcome_code() {
        let xml = "<xml><ToUserName><![CDATA[ww5e8b]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
            <CreateTime>1718000000</CreateTime><MsgType><![CDATA[event]]></MsgType>\
            <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>\
            <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[wmXq3b]]></ExternalUserID>\
            <State><![CDATA[ch_12]]></State><WelcomeCode><![CDATA[qPcW9h]]></WelcomeCode></xml>";
        let e = CallbackEvent::parse(xml).unwrap();
        assert_eq!((e.to.as_str(), e.create_time), ("ww5e8b", 1_718_000_000));
        let EventKind::ExternalContact(c) = e.kind else { panic!("contact event") };
        assert_eq!(c.change, ContactChange::Added);
        assert_eq!(
            (c.user_id.as_str(), c.state.as_deref(), c.welcome_code.as_deref()),
            ("zhangsan", Some("ch_12"), Some("qPcW9h"))
        );
        assert_eq!(e.dedupe_key.len(), 40);
    }

    #[test]
    fn reads_group_member_changes() {
        let xml = "<xml><ToUserName>c</ToUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>change_external_chat</Event>\
            <ChatId>wrOgQh</ChatId><ChangeType>update</ChangeType><UpdateDetail>add_member</UpdateDetail><JoinScene>1</JoinScene>\
            <MemChangeCnt>2</MemChangeCnt><MemChangeList><Item>wmA</Item><Item>lisi</Item></MemChangeList></xml>";
        let EventKind::ExternalChat(c) = CallbackEvent::parse(xml).unwrap().kind else { panic!("chat event") };
        assert_eq!(c.change, ChatChange::Updated { update_detail: "add_member".into() });
        assert_eq!((c.join_scene, c.members_changed), (Some(1), vec!["wmA".to_owned(), "lisi".to_owned()]));
    }

    #[test]
    fn a_contact_event_without_ids_is_refused() {
        let xml = "<xml><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>del_follow_user</ChangeType></xml>";
        assert_eq!(CallbackEvent::parse(xml).unwrap_err(), EventError::Missing("UserID"));
    }
}
