//! Reaching customers beyond one chat: mass messages (群发) with their tasks and results, Moments tasks,
//! customer groups and join ways, customer transfer, and behaviour statistics.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Empty, Text};
use crate::client::{WecomClient, WecomError};

/// A mass message. Creating one sends nothing: each staff member confirms it in WeCom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsgTemplate {
    /// `single` (to customers) or `group` (to customer groups).
    pub chat_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_userid: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chat_id_list: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sender: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MsgCreated {
    pub msgid: String,
    #[serde(default)]
    pub fail_list: Vec<String>,
}

/// One staff member's task for a mass message: 0 not sent, 2 sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgTask {
    pub userid: String,
    pub status: i32,
    #[serde(default)]
    pub send_time: i64,
}

/// One recipient's result: 0 not sent, 1 sent, 2 not a friend, 3 over the receive limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResult {
    #[serde(default)]
    pub external_userid: String,
    #[serde(default)]
    pub chat_id: String,
    pub userid: String,
    pub status: i32,
    #[serde(default)]
    pub send_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub userid: String,
    /// 1 staff, 2 customer.
    #[serde(rename = "type")]
    pub kind: i32,
    #[serde(default)]
    pub join_time: i64,
    #[serde(default)]
    pub join_scene: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChat {
    pub chat_id: String,
    #[serde(default)]
    pub name: String,
    pub owner: String,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub member_list: Vec<GroupMember>,
    #[serde(default)]
    pub member_version: String,
}

/// A customer's result in a transfer: 1 done, 2 waiting, 3 refused, 4 quota full, 5 no record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferStatus {
    pub external_userid: String,
    pub status: i32,
    #[serde(default)]
    pub takeover_time: i64,
}

/// One day of a staff member's customer-contact figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviorDay {
    pub stat_time: i64,
    #[serde(default)]
    pub new_apply_cnt: i64,
    #[serde(default)]
    pub new_contact_cnt: i64,
    #[serde(default)]
    pub chat_cnt: i64,
    #[serde(default)]
    pub message_cnt: i64,
    #[serde(default)]
    pub negative_feedback_cnt: i64,
}

impl WecomClient {
    pub async fn add_msg_template(&self, t: &MsgTemplate) -> Result<MsgCreated, WecomError> {
        self.post("/cgi-bin/externalcontact/add_msg_template", t).await
    }

    /// Each staff member's task for a mass message (one page of up to 1000).
    pub async fn msg_tasks(&self, msgid: &str) -> Result<Vec<MsgTask>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            task_list: Vec<MsgTask>,
        }
        Ok(self
            .post::<R, _>("/cgi-bin/externalcontact/get_groupmsg_task", &json!({ "msgid": msgid, "limit": 1000 }))
            .await?
            .task_list)
    }

    pub async fn msg_results(&self, msgid: &str, userid: &str) -> Result<Vec<SendResult>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            send_list: Vec<SendResult>,
        }
        let body = json!({ "msgid": msgid, "userid": userid, "limit": 1000 });
        Ok(self.post::<R, _>("/cgi-bin/externalcontact/get_groupmsg_send_result", &body).await?.send_list)
    }

    /// Mass messages created between two Unix times (at most a month apart).
    pub async fn msg_list(&self, chat_type: &str, start: i64, end: i64) -> Result<Vec<Value>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            group_msg_list: Vec<Value>,
        }
        let body = json!({ "chat_type": chat_type, "start_time": start, "end_time": end, "limit": 100 });
        Ok(self.post::<R, _>("/cgi-bin/externalcontact/get_groupmsg_list_v2", &body).await?.group_msg_list)
    }

    /// Starts a Moments task for `senders`; returns the job id to poll.
    pub async fn add_moment_task(&self, text: &str, senders: &[String]) -> Result<String, WecomError> {
        #[derive(Deserialize)]
        struct R {
            jobid: String,
        }
        let body = json!({ "text": { "content": text }, "visible_range": { "sender_list": { "user_list": senders } } });
        Ok(self.post::<R, _>("/cgi-bin/externalcontact/add_moment_task", &body).await?.jobid)
    }

    /// The Moments task's status (1 started, 2 running, 3 done) and, when done, the moment id.
    pub async fn moment_task_result(&self, jobid: &str) -> Result<(i32, Option<String>), WecomError> {
        #[derive(Deserialize)]
        struct R {
            status: i32,
            #[serde(default)]
            result: Option<Value>,
        }
        let r: R = self.get("/cgi-bin/externalcontact/get_moment_task_result", &[("jobid", jobid)]).await?;
        Ok((r.status, r.result.and_then(|v| v["moment_id"].as_str().map(str::to_owned))))
    }

    /// Customer groups owned by `owners` (one page).
    pub async fn group_chats(&self, owners: &[String], cursor: &str) -> Result<(Vec<String>, String), WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            group_chat_list: Vec<Value>,
            #[serde(default)]
            next_cursor: String,
        }
        let body = json!({ "owner_filter": { "userid_list": owners }, "cursor": cursor, "limit": 1000 });
        let r: R = self.post("/cgi-bin/externalcontact/groupchat/list", &body).await?;
        Ok((r.group_chat_list.iter().filter_map(|g| g["chat_id"].as_str().map(str::to_owned)).collect(), r.next_cursor))
    }

    pub async fn group_chat(&self, chat_id: &str) -> Result<GroupChat, WecomError> {
        #[derive(Deserialize)]
        struct R {
            group_chat: GroupChat,
        }
        Ok(self
            .post::<R, _>("/cgi-bin/externalcontact/groupchat/get", &json!({ "chat_id": chat_id, "need_name": 1 }))
            .await?
            .group_chat)
    }

    /// A QR code to join one of `chat_ids` (≤ 5), with a `state`.
    pub async fn add_join_way(&self, chat_ids: &[String], state: &str, remark: &str) -> Result<String, WecomError> {
        #[derive(Deserialize)]
        struct R {
            config_id: String,
        }
        let body =
            json!({ "scene": 2, "remark": remark, "auto_create_room": 0, "chat_id_list": chat_ids, "state": state });
        Ok(self.post::<R, _>("/cgi-bin/externalcontact/groupchat/add_join_way", &body).await?.config_id)
    }

    /// Hands customers from one staff member to another (on the job, or `resigned`); returns each
    /// customer's errcode (0: the hand-over started).
    pub async fn transfer_customers(
        &self,
        resigned: bool,
        handover: &str,
        takeover: &str,
        customers: &[String],
    ) -> Result<Vec<(String, i64)>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            customer: Vec<Value>,
        }
        let path = if resigned {
            "/cgi-bin/externalcontact/resigned/transfer_customer"
        } else {
            "/cgi-bin/externalcontact/transfer_customer"
        };
        let body = json!({ "handover_userid": handover, "takeover_userid": takeover, "external_userid": customers });
        let r: R = self.post(path, &body).await?;
        Ok(r.customer
            .iter()
            .map(|c| (c["external_userid"].as_str().unwrap_or_default().to_owned(), c["errcode"].as_i64().unwrap_or(0)))
            .collect())
    }

    /// Every transfer between the two members, all pages of it: WeCom pages the results (`cursor` in,
    /// `next_cursor` out) over every transfer the pair ever had, so a first page alone would leave a
    /// later hand-over's customers looking as if they had never been asked.
    pub async fn transfer_results(
        &self,
        resigned: bool,
        handover: &str,
        takeover: &str,
    ) -> Result<Vec<TransferStatus>, WecomError> {
        /// At most this many pages are read (WeCom's pages hold up to 1,000 customers).
        const MAX_PAGES: usize = 200;
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            customer: Vec<TransferStatus>,
            #[serde(default)]
            next_cursor: String,
        }
        let path = if resigned {
            "/cgi-bin/externalcontact/resigned/transfer_result"
        } else {
            "/cgi-bin/externalcontact/transfer_result"
        };
        let mut all = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let body = json!({ "handover_userid": handover, "takeover_userid": takeover, "cursor": cursor });
            let r: R = self.post(path, &body).await?;
            all.extend(r.customer);
            if r.next_cursor.is_empty() || r.next_cursor == cursor {
                break;
            }
            cursor = r.next_cursor;
        }
        Ok(all)
    }

    /// Day-by-day customer-contact figures for `userids` between two Unix times (≤ 30 days).
    pub async fn behavior_data(
        &self,
        userids: &[String],
        start: i64,
        end: i64,
    ) -> Result<Vec<BehaviorDay>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            behavior_data: Vec<BehaviorDay>,
        }
        let body = json!({ "userid": userids, "start_time": start, "end_time": end });
        Ok(self.post::<R, _>("/cgi-bin/externalcontact/get_user_behavior_data", &body).await?.behavior_data)
    }

    /// Cancels a mass message not yet sent by everyone.
    pub async fn cancel_msg(&self, msgid: &str) -> Result<(), WecomError> {
        self.post::<Empty, _>("/cgi-bin/externalcontact/cancel_groupmsg_send", &json!({ "msgid": msgid }))
            .await
            .map(|_| ())
    }
}
