//! A fake WeCom: the endpoints siyu calls, over HTTP, with in-memory state; scripted customer actions
//! that send correctly encrypted and signed callbacks; and fault injection (expired tokens, 45009,
//! 5xx, slow answers) for tests. `siyu` runs and is tested against it without the internet.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};

use crate::api::{ContactWay, CorpTag, CorpTagGroup, ExternalContact, FollowInfo, WelcomeMessage};
use crate::crypto::CallbackCrypto;

mod campaigns;
pub mod names;
pub mod qr;

/// Something to go wrong on the next API call (not `gettoken`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The current token stops working: the call answers 42001.
    ExpireToken,
    /// The call answers this errcode (45009, -1, …).
    Errcode(i64),
    /// The call answers this HTTP status with no JSON.
    Status(u16),
    /// The call answers normally, after this long.
    Delay(Duration),
}

/// How the fake corp is set up.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub corp_id: String,
    pub secret: String,
    pub agent_id: i64,
    pub callback_token: String,
    pub encoding_aes_key: String,
    pub token_lifetime: Duration,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            corp_id: "wwfake0000000001".into(),
            secret: "fake-secret".into(),
            agent_id: 1000002,
            callback_token: "faketoken".into(),
            encoding_aes_key: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C".into(),
            token_lifetime: Duration::from_secs(7200),
        }
    }
}

/// A welcome code the fake handed out with an add callback.
#[derive(Debug, Clone)]
struct WelcomeCode {
    issued: Instant,
    used: bool,
}

struct Corp {
    token: Option<(String, Instant)>,
    token_fetches: u32,
    calls: Vec<String>,
    faults: VecDeque<Fault>,
    /// Faults for the next calls of one path only, tried before `faults`.
    path_faults: HashMap<String, VecDeque<Fault>>,
    staff: Vec<String>,
    contacts: BTreeMap<String, (ExternalContact, Vec<FollowInfo>)>,
    ways: BTreeMap<String, ContactWay>,
    tags: Vec<CorpTagGroup>,
    codes: HashMap<String, WelcomeCode>,
    welcomes: Vec<WelcomeMessage>,
    app_messages: Vec<Value>,
    marked: Vec<Value>,
    callback_url: Option<String>,
    next_id: u64,
    /// Mass messages one customer may receive per day.
    receive_limit_per_day: u32,
    campaigns: campaigns::Campaigns,
    /// Where the fake serves, once spawned: contact ways' QR images are served from here.
    base: Option<String>,
    /// What a QR image request answers instead of the image (status, content type, body).
    qr_answer: Option<(u16, String, Vec<u8>)>,
    /// Where a QR image request is redirected to instead (an image host sending the fetch elsewhere).
    qr_redirect: Option<String>,
    /// QR image requests served so far, whatever they answered.
    qr_fetches: u64,
    /// Seconds the fake's clock runs ahead of the system's (a test that moves siyu's clock moves this).
    time_offset_secs: i64,
    /// Temporary media uploaded, in order.
    media: Vec<UploadedMediaRecord>,
}

/// One temporary medium the fake took (`/cgi-bin/media/upload`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedMediaRecord {
    pub media_id: String,
    /// `image` or `file`.
    pub kind: String,
    pub file_name: String,
    pub size: usize,
    /// When it was taken, on the fake's clock (Unix seconds); WeCom keeps it three days.
    pub created_at: i64,
}

impl Default for Corp {
    fn default() -> Self {
        Self {
            token: None,
            token_fetches: 0,
            calls: Vec::new(),
            faults: VecDeque::new(),
            path_faults: HashMap::new(),
            staff: Vec::new(),
            contacts: BTreeMap::new(),
            ways: BTreeMap::new(),
            tags: Vec::new(),
            codes: HashMap::new(),
            welcomes: Vec::new(),
            app_messages: Vec::new(),
            marked: Vec::new(),
            callback_url: None,
            next_id: 0,
            receive_limit_per_day: 1,
            campaigns: campaigns::Campaigns::default(),
            base: None,
            qr_answer: None,
            qr_redirect: None,
            qr_fetches: 0,
            time_offset_secs: 0,
            media: Vec::new(),
        }
    }
}

impl Corp {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:012}", self.next_id)
    }
}

/// The fake server; cheap to clone (shared state).
#[derive(Clone)]
pub struct FakeWecom {
    corp: Arc<Mutex<Corp>>,
    config: Arc<FakeConfig>,
    crypto: CallbackCrypto,
    http: reqwest::Client,
}

impl std::fmt::Debug for FakeWecom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWecom").field("corp_id", &self.config.corp_id).finish_non_exhaustive()
    }
}

fn ok(extra: Value) -> Value {
    let mut v = json!({ "errcode": 0, "errmsg": "ok" });
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

fn err(code: i64, msg: &str) -> Value {
    json!({ "errcode": code, "errmsg": msg })
}

/// The first `n` characters of a random lower-case alphanumeric string.
fn random_code(n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..n).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

impl FakeWecom {
    pub fn new(config: FakeConfig) -> Self {
        let crypto = CallbackCrypto::new(&config.callback_token, &config.encoding_aes_key, &config.corp_id)
            .expect("a valid fake key");
        Self {
            corp: Arc::new(Mutex::new(Corp::default())),
            config: Arc::new(config),
            crypto,
            http: reqwest::Client::new(),
        }
    }

    pub fn config(&self) -> &FakeConfig {
        &self.config
    }

    fn corp(&self) -> std::sync::MutexGuard<'_, Corp> {
        self.corp.lock().expect("fake corp lock")
    }

    /// Serves on 127.0.0.1 at a free port; returns the base URL.
    pub async fn spawn(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
        let addr: SocketAddr = listener.local_addr().expect("local address");
        let app = self.router();
        self.corp().base = Some(format!("http://{addr}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    pub fn router(&self) -> Router {
        // Temporary media may be up to 20 MB (files); every other call is a small JSON document.
        Router::new().fallback(handle).layer(axum::extract::DefaultBodyLimit::max(21 << 20)).with_state(self.clone())
    }

    /// The temporary media uploaded so far, in order.
    pub fn media_uploads(&self) -> Vec<UploadedMediaRecord> {
        self.corp().media.clone()
    }

    /// Where scripted actions deliver their callbacks (siyu's callback URL).
    pub fn set_callback_url(&self, url: &str) {
        self.corp().callback_url = Some(url.to_owned());
    }

    pub fn add_staff(&self, userid: &str) {
        self.corp().staff.push(userid.to_owned());
    }

    /// Queues `fault` for the next `times` API calls.
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut c = self.corp();
        for _ in 0..times {
            c.faults.push_back(fault.clone());
        }
    }

    /// Queues `fault` for the next `times` calls of `path` alone (a transfer answering -1 while the
    /// calls before it answer normally).
    pub fn inject_on(&self, path: &str, fault: Fault, times: usize) {
        let mut c = self.corp();
        let q = c.path_faults.entry(path.to_owned()).or_default();
        for _ in 0..times {
            q.push_back(fault.clone());
        }
    }

    /// QR image requests answer `status` with `content_type` and `body` from now on (a broken image
    /// host, a login page, an oversized file), or the real image again with `None`.
    pub fn serve_qr_as(&self, answer: Option<(u16, &str, Vec<u8>)>) {
        self.corp().qr_answer = answer.map(|(s, t, b)| (s, t.to_owned(), b));
    }

    /// QR image requests answer `302 Found` to `location` from now on, or as before with `None`.
    pub fn redirect_qr_to(&self, location: Option<&str>) {
        self.corp().qr_redirect = location.map(str::to_owned);
    }

    /// How many QR image requests the fake has had.
    pub fn qr_fetches(&self) -> u64 {
        self.corp().qr_fetches
    }

    /// Moves the fake's clock (its callbacks' `CreateTime` and signature timestamps) `secs` ahead, as a
    /// test moves siyu's.
    pub fn advance_secs(&self, secs: i64) {
        self.corp().time_offset_secs += secs;
    }

    /// Unix seconds on the fake's clock.
    fn now_secs(&self) -> i64 {
        let system =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        system as i64 + self.corp().time_offset_secs
    }

    pub fn token_fetches(&self) -> u32 {
        self.corp().token_fetches
    }

    /// How many calls reached `path` (faulted ones included).
    pub fn calls_to(&self, path: &str) -> usize {
        self.corp().calls.iter().filter(|p| *p == path).count()
    }

    pub fn welcomes_sent(&self) -> Vec<WelcomeMessage> {
        self.corp().welcomes.clone()
    }

    pub fn app_messages(&self) -> Vec<Value> {
        self.corp().app_messages.clone()
    }

    pub fn contact_ways(&self) -> Vec<ContactWay> {
        self.corp().ways.values().cloned().collect()
    }

    /// The corp tag ids a staff member's contact carries.
    pub fn contact_tags(&self, external_userid: &str, userid: &str) -> Vec<String> {
        let c = self.corp();
        c.contacts
            .get(external_userid)
            .and_then(|(_, f)| f.iter().find(|f| f.userid == userid))
            .map(|f| f.tag_id.clone())
            .unwrap_or_default()
    }

    /// The corp tag groups as `get_corp_tag_list` returns them.
    pub fn corp_tag_groups(&self) -> Vec<CorpTagGroup> {
        self.corp().tags.clone()
    }

    /// The tags marked on customers, as `mark_tag` bodies.
    pub fn marked_tags(&self) -> Vec<Value> {
        self.corp().marked.clone()
    }

    /// Encrypts and signs `xml` as WeCom does and POSTs it to the callback URL; returns the status.
    pub async fn deliver(&self, xml: &str) -> Result<StatusCode, String> {
        let url = self.corp().callback_url.clone().ok_or("no callback URL set")?;
        let encrypt = self.crypto.encrypt(xml);
        let timestamp = self.now_secs().to_string();
        let nonce = random_code(10);
        let signature = self.crypto.sign(&timestamp, &nonce, &encrypt);
        let body = format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{}]]></AgentID></xml>",
            self.config.corp_id, self.config.agent_id
        );
        let resp = self
            .http
            .post(&url)
            .query(&[
                ("msg_signature", signature.as_str()),
                ("timestamp", timestamp.as_str()),
                ("nonce", nonce.as_str()),
            ])
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY))
    }

    fn event_xml(&self, change: &str, userid: &str, external_userid: &str, extra: &str) -> String {
        let now = self.now_secs();
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{now}</CreateTime>\
             <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>\
             <ChangeType><![CDATA[{change}]]></ChangeType><UserID><![CDATA[{userid}]]></UserID>\
             <ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID>{extra}</xml>",
            self.config.corp_id
        )
    }

    /// A customer scans the code `config_id`: they become a contact of one of its members (round
    /// robin), and siyu receives `add_external_contact` with the code's `state` and a fresh welcome
    /// code. Returns (external_userid, userid, welcome_code, callback status).
    pub async fn customer_scans(
        &self,
        config_id: &str,
        name: &str,
    ) -> Result<(String, String, String, StatusCode), String> {
        let (ext, userid, code, state) = {
            let mut c = self.corp();
            let way = c.ways.get(config_id).cloned().ok_or_else(|| format!("no contact way {config_id}"))?;
            let members = way.user.clone();
            if members.is_empty() {
                return Err("the code has no members".into());
            }
            let userid = members[c.contacts.len() % members.len()].clone();
            let ext = format!("wm{}", random_code(30));
            let contact = ExternalContact {
                external_userid: ext.clone(),
                name: name.to_owned(),
                kind: 1,
                gender: 0,
                unionid: None,
            };
            let follow = FollowInfo {
                userid: userid.clone(),
                remark: String::new(),
                remark_mobiles: Vec::new(),
                createtime: 0,
                tag_id: Vec::new(),
                state: Some(way.state.clone()).filter(|s| !s.is_empty()),
                add_way: 1,
            };
            c.contacts.insert(ext.clone(), (contact, vec![follow]));
            let code = random_code(32);
            c.codes.insert(code.clone(), WelcomeCode { issued: Instant::now(), used: false });
            (ext, userid, code, way.state)
        };
        let extra = format!("<State><![CDATA[{state}]]></State><WelcomeCode><![CDATA[{code}]]></WelcomeCode>");
        let status = self.deliver(&self.event_xml("add_external_contact", &userid, &ext, &extra)).await?;
        Ok((ext, userid, code, status))
    }

    /// A customer who is already a contact of `userid` (no callback: the state a full sync finds).
    /// Returns the external_userid.
    pub fn add_contact(&self, userid: &str, name: &str, remark_mobiles: &[&str]) -> String {
        self.add_contact_with_unionid(userid, name, remark_mobiles, None)
    }

    /// [`FakeWecom::add_contact`] for a customer whose WeChat UnionID WeCom reports (the corp is bound
    /// to the bank's WeChat open platform account).
    pub fn add_contact_with_unionid(
        &self,
        userid: &str,
        name: &str,
        remark_mobiles: &[&str],
        unionid: Option<&str>,
    ) -> String {
        let mut c = self.corp();
        let ext = format!("wm{}", random_code(30));
        let contact = ExternalContact {
            external_userid: ext.clone(),
            name: name.to_owned(),
            kind: 1,
            gender: 0,
            unionid: unionid.map(str::to_owned),
        };
        let follow = FollowInfo {
            userid: userid.to_owned(),
            remark: name.to_owned(),
            remark_mobiles: remark_mobiles.iter().map(|m| m.to_string()).collect(),
            createtime: 1_767_196_800,
            tag_id: Vec::new(),
            state: None,
            add_way: 2,
        };
        c.contacts.insert(ext.clone(), (contact, vec![follow]));
        ext
    }

    /// The customer deletes the staff member: siyu receives `del_follow_user`.
    pub async fn customer_deletes(&self, external_userid: &str, userid: &str) -> Result<StatusCode, String> {
        {
            let mut c = self.corp();
            if let Some((_, follows)) = c.contacts.get_mut(external_userid) {
                follows.retain(|f| f.userid != userid);
            }
        }
        self.deliver(&self.event_xml("del_follow_user", userid, external_userid, "")).await
    }

    /// Answers one API request.
    fn answer(&self, path: &str, query: &HashMap<String, String>, body: &Value) -> Value {
        let mut c = self.corp();
        match path {
            "/cgi-bin/externalcontact/get_follow_user_list" => ok(json!({ "follow_user": c.staff })),
            "/cgi-bin/externalcontact/list" => {
                let userid = query.get("userid").cloned().unwrap_or_default();
                let ids: Vec<&String> = c
                    .contacts
                    .iter()
                    .filter(|(_, (_, f))| f.iter().any(|f| f.userid == userid))
                    .map(|(id, _)| id)
                    .collect();
                if ids.is_empty() { err(84061, "not external contact") } else { ok(json!({ "external_userid": ids })) }
            }
            "/cgi-bin/externalcontact/get" => {
                let id = query.get("external_userid").cloned().unwrap_or_default();
                match c.contacts.get(&id) {
                    Some((contact, follows)) => ok(json!({ "external_contact": contact, "follow_user": follows })),
                    None => err(40096, "invalid external_userid"),
                }
            }
            "/cgi-bin/externalcontact/batch/get_by_user" => {
                let users: Vec<String> = serde_json::from_value(body["userid_list"].clone()).unwrap_or_default();
                let limit = body["limit"].as_u64().unwrap_or(50).clamp(1, 100) as usize;
                let start: usize = body["cursor"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                let all: Vec<Value> = c
                    .contacts
                    .values()
                    .flat_map(|(contact, follows)| {
                        follows
                            .iter()
                            .filter(|f| users.contains(&f.userid))
                            .map(move |f| json!({ "external_contact": contact, "follow_info": f }))
                    })
                    .collect();
                let page: Vec<&Value> = all.iter().skip(start).take(limit).collect();
                let next = if start + limit < all.len() { (start + limit).to_string() } else { String::new() };
                ok(json!({ "external_contact_list": page, "next_cursor": next }))
            }
            "/cgi-bin/externalcontact/get_corp_tag_list" => ok(json!({ "tag_group": c.tags })),
            "/cgi-bin/externalcontact/add_corp_tag" => {
                let name = body["group_name"].as_str().unwrap_or_default().to_owned();
                let names: Vec<String> = body["tag"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                if name.is_empty() || names.is_empty() {
                    return err(40058, "group_name and tag required");
                }
                let pos = match c.tags.iter().position(|g| g.group_name == name) {
                    Some(p) => p,
                    None => {
                        let group_id = c.id("et");
                        c.tags.push(CorpTagGroup { group_id, group_name: name, order: 0, tag: Vec::new() });
                        c.tags.len() - 1
                    }
                };
                for n in names {
                    if !c.tags[pos].tag.iter().any(|t| t.name == n) {
                        let id = c.id("et");
                        c.tags[pos].tag.push(CorpTag { id, name: n, order: 0 });
                    }
                }
                ok(json!({ "tag_group": c.tags[pos] }))
            }
            "/cgi-bin/user/list_id" => {
                let list: Vec<Value> = c.staff.iter().map(|u| json!({ "userid": u, "department": 1 })).collect();
                ok(json!({ "dept_user": list, "next_cursor": "" }))
            }
            "/cgi-bin/externalcontact/edit_corp_tag" => {
                let id = body["id"].as_str().unwrap_or_default();
                let name = body["name"].as_str().unwrap_or_default().to_owned();
                if name.is_empty() || name.chars().count() > 30 {
                    return err(40058, "name must be 1-30 characters");
                }
                for g in c.tags.iter_mut() {
                    if g.group_id == id {
                        g.group_name = name;
                        return ok(json!({}));
                    }
                    if let Some(t) = g.tag.iter_mut().find(|t| t.id == id) {
                        t.name = name;
                        return ok(json!({}));
                    }
                }
                err(40068, "invalid tag id")
            }
            "/cgi-bin/externalcontact/del_corp_tag" => {
                let tags: Vec<String> = serde_json::from_value(body["tag_id"].clone()).unwrap_or_default();
                let groups: Vec<String> = serde_json::from_value(body["group_id"].clone()).unwrap_or_default();
                if tags.is_empty() && groups.is_empty() {
                    return err(40058, "tag_id and group_id both empty");
                }
                c.tags.retain(|g| !groups.contains(&g.group_id));
                for g in c.tags.iter_mut() {
                    g.tag.retain(|t| !tags.contains(&t.id));
                }
                // Deleting every tag of a group deletes the group.
                c.tags.retain(|g| !g.tag.is_empty());
                ok(json!({}))
            }
            "/cgi-bin/externalcontact/mark_tag" => {
                let ids = |k: &str| -> Vec<String> { serde_json::from_value(body[k].clone()).unwrap_or_default() };
                let (add, remove) = (ids("add_tag"), ids("remove_tag"));
                if add.is_empty() && remove.is_empty() {
                    return err(40058, "add_tag and remove_tag both empty");
                }
                if let Some(bad) =
                    add.iter().chain(&remove).find(|id| !c.tags.iter().any(|g| g.tag.iter().any(|t| &t.id == *id)))
                {
                    return err(40068, &format!("invalid tag id {bad}"));
                }
                let (ext, user) =
                    (body["external_userid"].as_str().unwrap_or(""), body["userid"].as_str().unwrap_or(""));
                let Some(follow) = c.contacts.get_mut(ext).and_then(|(_, f)| f.iter_mut().find(|f| f.userid == user))
                else {
                    return err(84061, "not external contact");
                };
                follow.tag_id.retain(|t| !remove.contains(t));
                for t in add {
                    if !follow.tag_id.contains(&t) {
                        follow.tag_id.push(t);
                    }
                }
                c.marked.push(body.clone());
                ok(json!({}))
            }
            "/cgi-bin/externalcontact/add_contact_way" => {
                let mut way: ContactWay = match serde_json::from_value(body.clone()) {
                    Ok(w) => w,
                    Err(e) => return err(40058, &format!("invalid contact way: {e}")),
                };
                if way.state.chars().count() > 30 {
                    return err(40058, "state longer than 30 characters");
                }
                if way.kind == 1 && way.user.len() != 1 {
                    return err(40058, "type 1 needs exactly one user");
                }
                if let Some(u) = way.user.iter().find(|u| !c.staff.contains(u)) {
                    return err(60111, &format!("userid not found: {u}"));
                }
                way.config_id = c.id("cfg");
                // WeCom hands out an image URL on its CDN; the fake serves the image itself once spawned.
                way.qr_code = match &c.base {
                    Some(base) => format!("{base}/fake/qr/{}.png", way.config_id),
                    None => format!("https://wework.qpic.cn/fake/{}", way.config_id),
                };
                let out = json!({ "config_id": way.config_id, "qr_code": way.qr_code });
                c.ways.insert(way.config_id.clone(), way);
                ok(out)
            }
            "/cgi-bin/externalcontact/get_contact_way" => {
                match c.ways.get(body["config_id"].as_str().unwrap_or_default()) {
                    Some(w) => ok(json!({ "contact_way": w })),
                    None => err(41044, "invalid config_id"),
                }
            }
            "/cgi-bin/externalcontact/update_contact_way" => {
                let id = body["config_id"].as_str().unwrap_or_default().to_owned();
                let users = serde_json::from_value::<Vec<String>>(body["user"].clone()).ok();
                if let Some(bad) = users.iter().flatten().find(|u| !c.staff.contains(u)) {
                    return err(60111, &format!("userid not found: {bad}"));
                }
                let Some(w) = c.ways.get_mut(&id) else { return err(41044, "invalid config_id") };
                if let Some(s) = body["state"].as_str() {
                    w.state = s.to_owned();
                }
                if let Some(r) = body["remark"].as_str() {
                    w.remark = r.to_owned();
                }
                if let Some(v) = body["skip_verify"].as_bool() {
                    w.skip_verify = v;
                }
                if let Some(u) = users {
                    if w.kind == 1 && u.len() != 1 {
                        return err(40058, "type 1 needs exactly one user");
                    }
                    w.user = u;
                }
                ok(json!({}))
            }
            "/cgi-bin/externalcontact/del_contact_way" => {
                match c.ways.remove(body["config_id"].as_str().unwrap_or_default()) {
                    Some(_) => ok(json!({})),
                    None => err(41044, "invalid config_id"),
                }
            }
            "/cgi-bin/externalcontact/send_welcome_msg" => {
                let msg: WelcomeMessage = match serde_json::from_value(body.clone()) {
                    Ok(m) => m,
                    Err(e) => return err(40058, &format!("invalid welcome message: {e}")),
                };
                if msg.text.is_none() && msg.attachments.is_empty() {
                    return err(41048, "text and attachments are both empty");
                }
                let Some(code) = c.codes.get_mut(&msg.welcome_code) else { return err(41051, "invalid welcome_code") };
                if code.used {
                    return err(41051, "externaluser has started chatting");
                }
                if code.issued.elapsed() > Duration::from_secs(20) {
                    return err(41051, "welcome_code expired");
                }
                code.used = true;
                c.welcomes.push(msg);
                ok(json!({}))
            }
            "/cgi-bin/message/send" => {
                c.app_messages.push(body.clone());
                ok(json!({ "invaliduser": "", "msgid": c.id("msg") }))
            }
            _ => self
                .answer_campaigns(&mut c, path, body, query)
                .unwrap_or_else(|| err(60011, &format!("the fake does not serve {path}"))),
        }
    }
}

async fn handle(
    State(fake): State<FakeWecom>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if let Some(file) = path.strip_prefix("/fake/qr/") {
        return qr_image(&fake, file);
    }
    if path == "/cgi-bin/gettoken" {
        let mut c = fake.corp();
        if query.get("corpid") != Some(&fake.config.corp_id) {
            return axum::Json(err(40013, "invalid corpid")).into_response();
        }
        if query.get("corpsecret") != Some(&fake.config.secret) {
            return axum::Json(err(40001, "invalid credential")).into_response();
        }
        c.token_fetches += 1;
        let live = c.token.clone().filter(|(_, exp)| Instant::now() < *exp);
        let (token, exp) = live.unwrap_or_else(|| (random_code(64), Instant::now() + fake.config.token_lifetime));
        c.token = Some((token.clone(), exp));
        return axum::Json(ok(json!({ "access_token": token, "expires_in": fake.config.token_lifetime.as_secs() })))
            .into_response();
    }
    let fault = {
        let mut c = fake.corp();
        c.calls.push(path.clone());
        let given = query.get("access_token").cloned().unwrap_or_default();
        match &c.token {
            Some((t, exp)) if *t == given && Instant::now() < *exp => {}
            Some((t, _)) if *t == given => return axum::Json(err(42001, "access_token expired")).into_response(),
            _ => return axum::Json(err(40014, "invalid access_token")).into_response(),
        }
        match c.path_faults.get_mut(&path).and_then(VecDeque::pop_front) {
            Some(f) => Some(f),
            None => c.faults.pop_front(),
        }
    };
    match fault {
        Some(Fault::ExpireToken) => {
            fake.corp().token = None;
            return axum::Json(err(42001, "access_token expired")).into_response();
        }
        Some(Fault::Errcode(code)) => return axum::Json(err(code, "injected")).into_response(),
        Some(Fault::Status(s)) => {
            return (StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_GATEWAY), "injected failure").into_response();
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    if path == "/cgi-bin/media/upload" {
        return axum::Json(fake.take_media(&query, &body)).into_response();
    }
    let body: Value = if body.is_empty() { json!({}) } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    if body.is_null() {
        return axum::Json(err(47001, "data format error")).into_response();
    }
    axum::Json(fake.answer(&path, &query, &body)).into_response()
}

impl FakeWecom {
    /// Takes one temporary medium as WeCom does: `type` image or file, the multipart field `media`
    /// with a file name, more than 5 bytes, at most 10 MB (image, JPG or PNG only) or 20 MB (file).
    /// The form is read as far as this needs (the field's head and its bytes up to the boundary).
    fn take_media(&self, query: &HashMap<String, String>, body: &[u8]) -> Value {
        let kind = query.get("type").map(String::as_str).unwrap_or_default();
        let max = match kind {
            "image" => 10_000_000,
            "file" => 20_000_000,
            _ => return err(40004, "invalid media type"),
        };
        let Some((file_name, bytes)) = media_part(body) else { return err(41006, "media data missing") };
        if bytes.len() <= 5 {
            return err(40005, "invalid file size");
        }
        if bytes.len() > max {
            return err(40006, "invalid file size");
        }
        if kind == "image" && !(bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF])) {
            return err(40005, "invalid file type");
        }
        let created_at = self.now_secs();
        let mut c = self.corp();
        let media_id = format!("3{}", random_code(40));
        c.media.push(UploadedMediaRecord {
            media_id: media_id.clone(),
            kind: kind.to_owned(),
            file_name,
            size: bytes.len(),
            created_at,
        });
        // WeCom's samples give `created_at` as a string.
        ok(json!({ "type": kind, "media_id": media_id, "created_at": created_at.to_string() }))
    }
}

/// The `media` field of a multipart body: its file name and bytes.
fn media_part(body: &[u8]) -> Option<(String, Vec<u8>)> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
    };
    let boundary_end = find(body, b"\r\n", 0)?;
    let boundary = &body[..boundary_end];
    let head_at = find(body, b"name=\"media\"", 0)?;
    let head_end = find(body, b"\r\n\r\n", head_at)?;
    let head = String::from_utf8_lossy(&body[head_at..head_end]).into_owned();
    let file_name = head.split("filename=\"").nth(1)?.split('"').next()?.to_owned();
    let data_at = head_end + 4;
    let mut closing = b"\r\n".to_vec();
    closing.extend_from_slice(boundary);
    let data_end = find(body, &closing, data_at)?;
    Some((file_name, body[data_at..data_end].to_vec()))
}

/// A contact way's QR image, as WeCom's image host serves it (no token), or the answer a test set.
fn qr_image(fake: &FakeWecom, file: &str) -> Response {
    let mut c = fake.corp();
    c.qr_fetches += 1;
    if let Some(location) = &c.qr_redirect {
        return (StatusCode::FOUND, [(axum::http::header::LOCATION, location.clone())]).into_response();
    }
    if let Some((status, content_type, body)) = &c.qr_answer {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
        return (status, [(axum::http::header::CONTENT_TYPE, content_type.clone())], body.clone()).into_response();
    }
    let Some(way) = file.strip_suffix(".png").and_then(|id| c.ways.get(id)) else {
        return (StatusCode::NOT_FOUND, "no such image").into_response();
    };
    let png = qr::png(&format!("https://work.weixin.qq.com/fake/contact/{}", way.config_id));
    ([(axum::http::header::CONTENT_TYPE, "image/png")], png).into_response()
}
