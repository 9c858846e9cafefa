//! The endpoints siyu uses, typed. Field names follow WeCom's JSON; see `shared/wecom/API.md`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::{WecomClient, WecomError};

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// A customer as WeCom knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalContact {
    pub external_userid: String,
    pub name: String,
    /// 1 WeChat user, 2 WeCom user.
    #[serde(rename = "type", default)]
    pub kind: i32,
    /// 0 unknown, 1 male, 2 female.
    #[serde(default)]
    pub gender: i32,
    /// Present only for WeChat users when the corp has bound a WeChat developer account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}

/// One staff member's relationship with a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowInfo {
    pub userid: String,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub remark_mobiles: Vec<String>,
    /// Unix seconds.
    #[serde(default)]
    pub createtime: i64,
    #[serde(default)]
    pub tag_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default)]
    pub add_way: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactWithFollow {
    pub external_contact: ExternalContact,
    pub follow_info: FollowInfo,
}

/// One page of a cursor-paged list; an empty `next_cursor` means the last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    pub next_cursor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpTag {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub order: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpTagGroup {
    pub group_id: String,
    pub group_name: String,
    #[serde(default)]
    pub order: u32,
    #[serde(default)]
    pub tag: Vec<CorpTag>,
}

/// A 「联系我」 configuration: a channel QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactWay {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config_id: String,
    /// 1 one member, 2 several.
    #[serde(rename = "type")]
    pub kind: i32,
    /// 2: a QR code.
    pub scene: i32,
    #[serde(default)]
    pub remark: String,
    #[serde(default = "yes")]
    pub skip_verify: bool,
    /// ≤ 30 characters; comes back in the add callback's `State`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub user: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub qr_code: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ContactWayCreated {
    pub config_id: String,
    #[serde(default)]
    pub qr_code: String,
}

/// Text plus up to nine attachments (`{"msgtype":"link","link":{…}}`, image, miniprogram, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WelcomeMessage {
    pub welcome_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub content: String,
}

/// "not external contact": WeCom's answer for a member with no customers.
const NOT_EXTERNAL_CONTACT: i64 = 84061;

impl WecomClient {
    /// Staff members with customer contact enabled.
    pub async fn follow_users(&self) -> Result<Vec<String>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            follow_user: Vec<String>,
        }
        Ok(self.get::<R>("/cgi-bin/externalcontact/get_follow_user_list", &[]).await?.follow_user)
    }

    /// Every member's userid in the app's scope, following the cursor to the end.
    pub async fn staff_ids(&self) -> Result<Vec<String>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            dept_user: Vec<serde_json::Value>,
            #[serde(default)]
            next_cursor: String,
        }
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let r: R = self.post("/cgi-bin/user/list_id", &json!({ "cursor": cursor, "limit": 10000 })).await?;
            out.extend(r.dept_user.iter().filter_map(|u| u["userid"].as_str().map(str::to_owned)));
            if r.next_cursor.is_empty() {
                break;
            }
            cursor = r.next_cursor;
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The customers of one staff member; none (not an error) when they have none.
    pub async fn customers_of(&self, userid: &str) -> Result<Vec<String>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            external_userid: Vec<String>,
        }
        match self.get::<R>("/cgi-bin/externalcontact/list", &[("userid", userid)]).await {
            Ok(r) => Ok(r.external_userid),
            Err(WecomError::Api { errcode: NOT_EXTERNAL_CONTACT, .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Customers with their relationship to each of `userids` (≤ 100), one page.
    pub async fn contacts_by_staff(
        &self,
        userids: &[String],
        cursor: &str,
        limit: u32,
    ) -> Result<CursorPage<ContactWithFollow>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            external_contact_list: Vec<ContactWithFollow>,
            #[serde(default)]
            next_cursor: String,
        }
        let r: R = self
            .post(
                "/cgi-bin/externalcontact/batch/get_by_user",
                &json!({ "userid_list": userids, "cursor": cursor, "limit": limit.min(100) }),
            )
            .await?;
        Ok(CursorPage { items: r.external_contact_list, next_cursor: r.next_cursor })
    }

    /// One customer and every staff member following them.
    pub async fn external_contact(
        &self,
        external_userid: &str,
    ) -> Result<(ExternalContact, Vec<FollowInfo>), WecomError> {
        #[derive(Deserialize)]
        struct R {
            external_contact: ExternalContact,
            #[serde(default)]
            follow_user: Vec<FollowInfo>,
        }
        let r: R = self.get("/cgi-bin/externalcontact/get", &[("external_userid", external_userid)]).await?;
        Ok((r.external_contact, r.follow_user))
    }

    pub async fn corp_tags(&self) -> Result<Vec<CorpTagGroup>, WecomError> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            tag_group: Vec<CorpTagGroup>,
        }
        Ok(self.post::<R, _>("/cgi-bin/externalcontact/get_corp_tag_list", &json!({})).await?.tag_group)
    }

    /// Adds tags to a group (created if it does not exist).
    pub async fn add_corp_tags(&self, group_name: &str, names: &[&str]) -> Result<CorpTagGroup, WecomError> {
        #[derive(Deserialize)]
        struct R {
            tag_group: CorpTagGroup,
        }
        let tags: Vec<_> = names.iter().map(|n| json!({ "name": n })).collect();
        Ok(self
            .post::<R, _>("/cgi-bin/externalcontact/add_corp_tag", &json!({ "group_name": group_name, "tag": tags }))
            .await?
            .tag_group)
    }

    /// Renames a tag or a tag group.
    pub async fn edit_corp_tag(&self, id: &str, name: &str) -> Result<(), WecomError> {
        self.post::<Empty, _>("/cgi-bin/externalcontact/edit_corp_tag", &json!({ "id": id, "name": name }))
            .await
            .map(|_| ())
    }

    /// Deletes tags and/or whole tag groups.
    pub async fn delete_corp_tags(&self, tag_ids: &[String], group_ids: &[String]) -> Result<(), WecomError> {
        self.post::<Empty, _>(
            "/cgi-bin/externalcontact/del_corp_tag",
            &json!({ "tag_id": tag_ids, "group_id": group_ids }),
        )
        .await
        .map(|_| ())
    }

    pub async fn mark_tags(
        &self,
        userid: &str,
        external_userid: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), WecomError> {
        let body =
            json!({ "userid": userid, "external_userid": external_userid, "add_tag": add, "remove_tag": remove });
        self.post::<Empty, _>("/cgi-bin/externalcontact/mark_tag", &body).await.map(|_| ())
    }

    pub async fn add_contact_way(&self, way: &ContactWay) -> Result<ContactWayCreated, WecomError> {
        self.post("/cgi-bin/externalcontact/add_contact_way", way).await
    }

    pub async fn contact_way(&self, config_id: &str) -> Result<ContactWay, WecomError> {
        #[derive(Deserialize)]
        struct R {
            contact_way: ContactWay,
        }
        Ok(self
            .post::<R, _>("/cgi-bin/externalcontact/get_contact_way", &json!({ "config_id": config_id }))
            .await?
            .contact_way)
    }

    /// Changes who a code assigns to, its state or its remark.
    pub async fn update_contact_way(&self, way: &ContactWay) -> Result<(), WecomError> {
        let body = json!({ "config_id": way.config_id, "remark": way.remark, "skip_verify": way.skip_verify, "state": way.state, "user": way.user });
        self.post::<Empty, _>("/cgi-bin/externalcontact/update_contact_way", &body).await.map(|_| ())
    }

    pub async fn delete_contact_way(&self, config_id: &str) -> Result<(), WecomError> {
        self.post::<Empty, _>("/cgi-bin/externalcontact/del_contact_way", &json!({ "config_id": config_id }))
            .await
            .map(|_| ())
    }

    /// Sends the welcome message for a `WelcomeCode` (valid 20 s, once).
    pub async fn send_welcome(&self, msg: &WelcomeMessage) -> Result<(), WecomError> {
        self.post::<Empty, _>("/cgi-bin/externalcontact/send_welcome_msg", msg).await.map(|_| ())
    }

    /// A text message from the app to staff members (lead and churn alerts).
    pub async fn notify_staff(&self, agent_id: i64, userids: &[String], content: &str) -> Result<(), WecomError> {
        let body = json!({ "touser": userids.join("|"), "msgtype": "text", "agentid": agent_id, "text": { "content": content } });
        self.post::<Empty, _>("/cgi-bin/message/send", &body).await.map(|_| ())
    }
}
