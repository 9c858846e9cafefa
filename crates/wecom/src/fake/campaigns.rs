//! The fake's mass messages, Moments, groups, transfers and statistics, with the scripted actions
//! that drive them (a manager confirming a mass message, a customer joining or leaving a group).

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Corp, FakeWecom, err, ok, random_code};
use crate::campaigns::{GroupChat, GroupMember, MsgTask, MsgTemplate, SendResult};

/// The fake's state for these endpoints.
#[derive(Default)]
pub(super) struct Campaigns {
    msgs: BTreeMap<String, (MsgTemplate, Vec<MsgTask>, Vec<SendResult>)>,
    /// Mass messages each customer received, per day number: WeCom's receive limit.
    received: HashMap<(String, i64), u32>,
    moments: HashMap<String, String>,
    groups: BTreeMap<String, GroupChat>,
    join_ways: BTreeMap<String, Value>,
    transfers: Vec<Transfer>,
    /// Every customer a transfer was started for, once per start (a test counts repeats).
    transfer_requests: Vec<String>,
    /// Members whose customer quota is full: a transfer to them fails at takeover (status 4).
    quota_full: Vec<String>,
    /// How long a started transfer waits before the successor takes over (WeCom: 24 h).
    transfer_delay_secs: Option<i64>,
}

/// One customer's transfer as the fake keeps it.
#[derive(Debug, Clone)]
struct Transfer {
    resigned: bool,
    handover: String,
    takeover: String,
    external_userid: String,
    /// 1 done, 2 waiting, 3 refused, 4 quota full.
    status: i32,
    takeover_time: i64,
}

/// WeCom's wait between a transfer's start and the takeover.
const TRANSFER_WAIT_SECS: i64 = 86_400;

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl FakeWecom {
    pub(super) fn answer_campaigns(
        &self,
        c: &mut Corp,
        path: &str,
        body: &Value,
        query: &HashMap<String, String>,
    ) -> Option<Value> {
        let m = &mut c.campaigns;
        Some(match path {
            "/cgi-bin/externalcontact/add_msg_template" => {
                let t: MsgTemplate = match serde_json::from_value(body.clone()) {
                    Ok(t) => t,
                    Err(e) => return Some(err(40058, &format!("invalid template: {e}"))),
                };
                if t.text.is_none() && t.attachments.is_empty() {
                    return Some(err(41048, "text and attachments are both empty"));
                }
                if t.chat_type == "group" && t.sender.is_empty() {
                    return Some(err(40058, "sender required for group"));
                }
                // Every member following a target customer gets a task, or the sender alone.
                let mut senders: Vec<String> = if t.sender.is_empty() {
                    t.external_userid
                        .iter()
                        .filter_map(|e| c.contacts.get(e))
                        .flat_map(|(_, f)| f.iter().map(|f| f.userid.clone()))
                        .collect()
                } else {
                    vec![t.sender.clone()]
                };
                senders.sort();
                senders.dedup();
                let fail: Vec<&String> = t.external_userid.iter().filter(|e| !c.contacts.contains_key(*e)).collect();
                c.next_id += 1;
                let msgid = format!("msg{:012}", c.next_id);
                let tasks = senders.iter().map(|u| MsgTask { userid: u.clone(), status: 0, send_time: 0 }).collect();
                let out = ok(json!({ "msgid": msgid, "fail_list": fail }));
                c.campaigns.msgs.insert(msgid, (t, tasks, Vec::new()));
                out
            }
            "/cgi-bin/externalcontact/get_groupmsg_task" => {
                match m.msgs.get(body["msgid"].as_str().unwrap_or_default()) {
                    Some((_, tasks, _)) => ok(json!({ "task_list": tasks, "next_cursor": "" })),
                    None => err(41063, "invalid msgid"),
                }
            }
            "/cgi-bin/externalcontact/get_groupmsg_send_result" => {
                match m.msgs.get(body["msgid"].as_str().unwrap_or_default()) {
                    Some((_, _, results)) => {
                        let user = body["userid"].as_str().unwrap_or_default();
                        let list: Vec<&SendResult> = results.iter().filter(|r| r.userid == user).collect();
                        ok(json!({ "send_list": list, "next_cursor": "" }))
                    }
                    None => err(41063, "invalid msgid"),
                }
            }
            "/cgi-bin/externalcontact/get_groupmsg_list_v2" => {
                let kind = body["chat_type"].as_str().unwrap_or("single");
                let list: Vec<Value> = m
                    .msgs
                    .iter()
                    .filter(|(_, (t, _, _))| t.chat_type == kind)
                    .map(|(id, (t, _, _))| json!({ "msgid": id, "create_type": 0, "text": t.text, "attachments": t.attachments }))
                    .collect();
                ok(json!({ "group_msg_list": list, "next_cursor": "" }))
            }
            "/cgi-bin/externalcontact/cancel_groupmsg_send" => {
                match m.msgs.remove(body["msgid"].as_str().unwrap_or_default()) {
                    Some(_) => ok(json!({})),
                    None => err(41063, "invalid msgid"),
                }
            }
            "/cgi-bin/externalcontact/add_moment_task" => {
                if body["text"]["content"].as_str().unwrap_or_default().is_empty() && body["attachments"].is_null() {
                    return Some(err(41048, "text and attachments are both empty"));
                }
                let jobid = format!("job{}", random_code(20));
                m.moments.insert(jobid.clone(), format!("mom{}", random_code(20)));
                ok(json!({ "jobid": jobid }))
            }
            "/cgi-bin/externalcontact/get_moment_task_result" => {
                let jobid = query
                    .get("jobid")
                    .cloned()
                    .or_else(|| body["jobid"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                match m.moments.get(&jobid) {
                    Some(id) => ok(
                        json!({ "status": 3, "type": "add_moment_task", "result": { "errcode": 0, "errmsg": "ok", "moment_id": id } }),
                    ),
                    None => err(41066, "invalid jobid"),
                }
            }
            "/cgi-bin/externalcontact/groupchat/list" => {
                let owners: Vec<String> =
                    serde_json::from_value(body["owner_filter"]["userid_list"].clone()).unwrap_or_default();
                let list: Vec<Value> = m
                    .groups
                    .values()
                    .filter(|g| owners.is_empty() || owners.contains(&g.owner))
                    .map(|g| json!({ "chat_id": g.chat_id, "status": 0 }))
                    .collect();
                ok(json!({ "group_chat_list": list, "next_cursor": "" }))
            }
            "/cgi-bin/externalcontact/groupchat/get" => {
                match m.groups.get(body["chat_id"].as_str().unwrap_or_default()) {
                    Some(g) => ok(json!({ "group_chat": g })),
                    None => err(40050, "invalid chat_id"),
                }
            }
            "/cgi-bin/externalcontact/groupchat/add_join_way" => {
                let ids: Vec<String> = serde_json::from_value(body["chat_id_list"].clone()).unwrap_or_default();
                if ids.is_empty() || ids.len() > 5 || ids.iter().any(|i| !m.groups.contains_key(i)) {
                    return Some(err(40058, "chat_id_list must name 1-5 known groups"));
                }
                let id = format!("jw{}", random_code(20));
                m.join_ways.insert(id.clone(), body.clone());
                ok(json!({ "config_id": id }))
            }
            "/cgi-bin/externalcontact/transfer_customer" | "/cgi-bin/externalcontact/resigned/transfer_customer" => {
                let resigned = path.contains("resigned");
                let handover = body["handover_userid"].as_str().unwrap_or_default().to_owned();
                let takeover = body["takeover_userid"].as_str().unwrap_or_default().to_owned();
                let ids: Vec<String> = serde_json::from_value(body["external_userid"].clone()).unwrap_or_default();
                if ids.is_empty() || ids.len() > 100 {
                    return Some(err(40058, "external_userid must list 1-100 customers"));
                }
                if !c.staff.contains(&takeover) || handover == takeover {
                    return Some(err(40003, "invalid takeover_userid"));
                }
                let wait = c.campaigns.transfer_delay_secs.unwrap_or(TRANSFER_WAIT_SECS);
                let results: Vec<Value> = ids
                    .iter()
                    .map(|e| {
                        let known = c.contacts.get(e).is_some_and(|(_, f)| f.iter().any(|f| f.userid == handover));
                        if known {
                            let t = &mut c.campaigns.transfers;
                            // A new transfer of the customer replaces an earlier one (WeCom keeps the latest).
                            t.retain(|x| x.external_userid != *e);
                            t.push(Transfer {
                                resigned,
                                handover: handover.clone(),
                                takeover: takeover.clone(),
                                external_userid: e.clone(),
                                status: 2,
                                takeover_time: now_secs() + wait,
                            });
                            c.campaigns.transfer_requests.push(e.clone());
                        }
                        json!({ "external_userid": e, "errcode": if known { 0 } else { 40096 } })
                    })
                    .collect();
                ok(json!({ "customer": results }))
            }
            "/cgi-bin/externalcontact/transfer_result" | "/cgi-bin/externalcontact/resigned/transfer_result" => {
                let resigned = path.contains("resigned");
                let (h, t) = (
                    body["handover_userid"].as_str().unwrap_or_default().to_owned(),
                    body["takeover_userid"].as_str().unwrap_or_default().to_owned(),
                );
                // Transfers whose wait is over are taken over as WeCom does it, when anyone looks.
                settle_transfers(c, now_secs());
                let list: Vec<Value> = c
                    .campaigns
                    .transfers
                    .iter()
                    .filter(|x| x.resigned == resigned && x.handover == h && x.takeover == t)
                    .map(|x| json!({ "external_userid": x.external_userid, "status": x.status, "takeover_time": x.takeover_time }))
                    .collect();
                ok(json!({ "customer": list, "next_cursor": "" }))
            }
            "/cgi-bin/externalcontact/get_user_behavior_data" => {
                let users: Vec<String> = serde_json::from_value(body["userid"].clone()).unwrap_or_default();
                let new_contacts =
                    c.contacts.values().flat_map(|(_, f)| f.iter()).filter(|f| users.contains(&f.userid)).count();
                let start = body["start_time"].as_i64().unwrap_or(0);
                ok(
                    json!({ "behavior_data": [{ "stat_time": start, "new_apply_cnt": 0, "new_contact_cnt": new_contacts, "chat_cnt": 0, "message_cnt": 0, "negative_feedback_cnt": 0 }] }),
                )
            }
            _ => return None,
        })
    }

    /// A staff member confirms their task for a mass message in WeCom: each target customer who is
    /// their contact receives it (status 1), unless over the daily receive limit (3); others fail (2).
    pub fn staff_confirms(&self, msgid: &str, userid: &str) -> Result<Vec<SendResult>, String> {
        let mut c = self.corp();
        let limit = c.receive_limit_per_day;
        let day = now_secs() / 86_400;
        let contacts: Vec<String> = c
            .contacts
            .iter()
            .filter(|(_, (_, f))| f.iter().any(|f| f.userid == userid))
            .map(|(e, _)| e.clone())
            .collect();
        let camp = &mut c.campaigns;
        let (t, tasks, results) = camp.msgs.get_mut(msgid).ok_or("no such message")?;
        let task = tasks.iter_mut().find(|t| t.userid == userid).ok_or("no task for this member")?;
        if task.status == 2 {
            return Err("already sent".into());
        }
        task.status = 2;
        task.send_time = now_secs();
        let targets: Vec<String> =
            if t.external_userid.is_empty() { contacts.clone() } else { t.external_userid.clone() };
        let mut out = Vec::new();
        for e in targets {
            let status = if !contacts.contains(&e) {
                2
            } else {
                let n = camp.received.entry((e.clone(), day)).or_default();
                if *n >= limit {
                    3
                } else {
                    *n += 1;
                    1
                }
            };
            out.push(SendResult {
                external_userid: e,
                chat_id: String::new(),
                userid: userid.to_owned(),
                status,
                send_time: task.send_time,
            });
        }
        results.extend(out.clone());
        Ok(out)
    }

    /// A staff member creates a customer group; returns its chat id.
    pub fn create_group(&self, owner: &str, name: &str) -> String {
        let mut c = self.corp();
        let chat_id = format!("wr{}", random_code(30));
        let me = GroupMember { userid: owner.to_owned(), kind: 1, join_time: now_secs(), join_scene: 1 };
        let g = GroupChat {
            chat_id: chat_id.clone(),
            name: name.to_owned(),
            owner: owner.to_owned(),
            create_time: now_secs(),
            member_list: vec![me],
            member_version: random_code(16),
        };
        c.campaigns.groups.insert(chat_id.clone(), g);
        chat_id
    }

    fn chat_xml(&self, chat_id: &str, detail: &str, scene: &str, member: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{}</CreateTime>\
             <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[{chat_id}]]></ChatId>\
             <ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[{detail}]]></UpdateDetail>{scene}\
             <MemChangeCnt>1</MemChangeCnt><MemChangeList><Item><![CDATA[{member}]]></Item></MemChangeList></xml>",
            self.config.corp_id,
            now_secs()
        )
    }

    /// A customer who is already in a group (no callback: the state a full sync finds).
    pub fn add_group_member(&self, chat_id: &str, external_userid: &str) {
        let mut c = self.corp();
        if let Some(g) = c.campaigns.groups.get_mut(chat_id) {
            g.member_list.push(GroupMember {
                userid: external_userid.to_owned(),
                kind: 2,
                join_time: now_secs(),
                join_scene: 3,
            });
        }
    }

    /// A customer joins a group by its QR code: siyu receives `change_external_chat` / `add_member`.
    pub async fn customer_joins_group(&self, chat_id: &str, external_userid: &str) -> Result<StatusCode, String> {
        {
            let mut c = self.corp();
            let g = c.campaigns.groups.get_mut(chat_id).ok_or("no such group")?;
            g.member_list.push(GroupMember {
                userid: external_userid.to_owned(),
                kind: 2,
                join_time: now_secs(),
                join_scene: 3,
            });
            g.member_version = random_code(16);
        }
        self.deliver(&self.chat_xml(chat_id, "add_member", "<JoinScene>3</JoinScene>", external_userid)).await
    }

    /// A customer leaves a group: siyu receives `change_external_chat` / `del_member`.
    pub async fn customer_leaves_group(&self, chat_id: &str, external_userid: &str) -> Result<StatusCode, String> {
        {
            let mut c = self.corp();
            let g = c.campaigns.groups.get_mut(chat_id).ok_or("no such group")?;
            g.member_list.retain(|m| m.userid != external_userid);
            g.member_version = random_code(16);
        }
        self.deliver(&self.chat_xml(chat_id, "del_member", "<QuitScene>0</QuitScene>", external_userid)).await
    }

    /// Changes how many mass messages one customer may receive per day (WeCom's strictest setting: 1).
    pub fn set_receive_limit_per_day(&self, n: u32) {
        self.corp().receive_limit_per_day = n;
    }

    /// How long a started transfer waits before the successor takes over (WeCom's 24 h by default; the
    /// demo shortens it to show a hand-over through to the end).
    pub fn set_transfer_delay_secs(&self, secs: i64) {
        self.corp().campaigns.transfer_delay_secs = Some(secs);
    }

    /// The successor's customer quota is full: transfers to them fail at takeover (status 4).
    pub fn set_quota_full(&self, userid: &str) {
        self.corp().campaigns.quota_full.push(userid.to_owned());
    }

    /// The wait of every started transfer ends now: each waiting customer is taken over (their contact
    /// moves from the old member to the new one), or fails where the successor's quota is full.
    pub fn complete_transfers(&self) {
        settle_transfers(&mut self.corp(), i64::MAX);
    }

    /// The customer declines the new manager while their transfer waits (status 3); they stay with the
    /// old one.
    pub fn customer_refuses_transfer(&self, external_userid: &str) -> Result<(), String> {
        let mut c = self.corp();
        let t = c
            .campaigns
            .transfers
            .iter_mut()
            .find(|t| t.external_userid == external_userid && t.status == 2)
            .ok_or("no waiting transfer for this customer")?;
        t.status = 3;
        Ok(())
    }

    /// How many transfers were started for the customer.
    pub fn transfer_requests(&self, external_userid: &str) -> usize {
        self.corp().campaigns.transfer_requests.iter().filter(|e| *e == external_userid).count()
    }
}

/// Takes over every waiting transfer whose wait ended by `now`: the contact moves to the new member
/// (the old relationship ends, as `DELETE_BY_TRANSFER`), unless the new member's quota is full.
fn settle_transfers(c: &mut Corp, now: i64) {
    let due: Vec<usize> = c
        .campaigns
        .transfers
        .iter()
        .enumerate()
        .filter(|(_, t)| t.status == 2 && t.takeover_time <= now)
        .map(|(i, _)| i)
        .collect();
    for i in due {
        let t = c.campaigns.transfers[i].clone();
        if c.campaigns.quota_full.contains(&t.takeover) {
            c.campaigns.transfers[i].status = 4;
            continue;
        }
        if let Some((_, follows)) = c.contacts.get_mut(&t.external_userid)
            && let Some(f) = follows.iter_mut().find(|f| f.userid == t.handover)
        {
            f.userid = t.takeover.clone();
        }
        c.campaigns.transfers[i].status = 1;
        c.campaigns.transfers[i].takeover_time = c.campaigns.transfers[i].takeover_time.min(now_secs());
    }
}
