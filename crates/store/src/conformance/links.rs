//! Conformance check for tracked links: a batch lands with its timeline entries in one go, the
//! figures count opens, distinct openers, forwards and read time, and an anonymous visitor is matched
//! to the customer whose own link it opens.

use std::sync::Arc;

use siyu_domain::scope::DataScope;
use siyu_domain::{ContentVersionId, CustomerId, StaffId, Timestamp};

use super::{T0, customer, seed_bank};
use crate::*;

fn event(
    version: i64,
    customer_id: Option<CustomerId>,
    staff: StaffId,
    visitor: &str,
    kind: LinkEventKind,
    seconds: i64,
    at: Timestamp,
) -> NewLinkEvent {
    NewLinkEvent {
        version_id: ContentVersionId::new(version),
        customer_id,
        staff_id: staff,
        channel: if customer_id.is_some() { "one_to_one" } else { "moments" }.into(),
        visitor: visitor.into(),
        kind,
        seconds,
        at,
        interests: Vec::new(),
    }
}

pub async fn link_events_land_in_batches_with_their_timeline(s: Arc<dyn Store>) {
    let bank = seed_bank(&*s).await;
    s.upsert_customers(
        &[customer("L1", bank.sb1, Some(&bank.cm1)), customer("L2", bank.sb1, Some(&bank.cm1))],
        &UpsertFields::all(),
        T0,
    )
    .await
    .unwrap();
    let c1 = s.customer_by_no(DataScope::All, "L1").await.unwrap().id;
    let c2 = s.customer_by_no(DataScope::All, "L2").await.unwrap().id;
    let cm = bank.cm1.id;
    let at = |n: i64| T0.plus_secs(n);
    use LinkEventKind::*;

    assert_eq!(s.record_link_events(&[]).await.unwrap(), Default::default());
    // An anonymous Moments opener (visitor a), then c1 twice from one browser (b), a read and a forward.
    let written = s
        .record_link_events(&[
            event(7, None, cm, "va", Open, 0, at(1)),
            event(7, Some(c1), cm, "vb", Open, 0, at(2)),
            event(7, Some(c1), cm, "vb", Open, 0, at(3)),
            event(7, Some(c1), cm, "vb", Read, 95, at(4)),
            event(7, Some(c1), cm, "vb", Forward, 0, at(5)),
            event(8, Some(c2), cm, "vc", Open, 0, at(6)),
        ])
        .await
        .unwrap();
    assert_eq!(written.opened, [c1, c1, c2], "one timeline entry per open naming a customer");
    assert!(written.tagged.is_empty());
    let stats = s.link_stats(ContentVersionId::new(7)).await.unwrap();
    assert_eq!(stats, LinkStats { opens: 3, unique_openers: 2, forwards: 1, read_seconds: 95 });
    assert_eq!(s.link_stats(ContentVersionId::new(9)).await.unwrap(), LinkStats::default());
    let timeline = s.customer_events(c1, Page::first(10)).await.unwrap().items;
    assert_eq!(timeline.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["link_opened", "link_opened"]);
    assert_eq!(timeline[0].detail, "cvr_7 one_to_one");

    // Visitor a later opens c2's own link: its anonymous open is c2's from now on, and c2 is one opener.
    s.record_link_events(&[event(7, Some(c2), cm, "va", Open, 0, at(10))]).await.unwrap();
    let stats = s.link_stats(ContentVersionId::new(7)).await.unwrap();
    assert_eq!((stats.opens, stats.unique_openers), (4, 2), "va's anonymous open and c2's own are one opener");
    let c2_events = s.customer_link_events(c2, 10).await.unwrap();
    assert_eq!(c2_events.len(), 3);
    assert!(c2_events.iter().all(|e| e.attributed_to == Some(c2)));
    assert_eq!(c2_events[2].event.customer_id, None, "the anonymous event keeps what its token said");
    assert_eq!(c2_events[2].event.visitor, "va");

    // First match wins: va opening c1's link does not move it; only c1's own events are c1's.
    s.record_link_events(&[event(7, Some(c1), cm, "va", Open, 0, at(11))]).await.unwrap();
    assert_eq!(s.customer_link_events(c2, 10).await.unwrap().len(), 3);
    let c1_events = s.customer_link_events(c1, 10).await.unwrap();
    assert_eq!(c1_events.len(), 5);
    assert_eq!(c1_events[0].event.at, at(11));

    // Opens earn interest tags in the same transaction: once per customer and tag, with a timeline
    // entry; an anonymous open earns none; a tag gone since is skipped.
    let group = s.create_tag_group("内容兴趣", T0).await.unwrap();
    let new_tag = |name: &str| crate::NewTag {
        group_id: group.id,
        name: name.into(),
        kind: siyu_domain::tag::TagKind::Behavioural,
        sync_to_wecom: false,
        rule_text: None,
    };
    let edu = s.create_tag(&new_tag("兴趣·投教"), T0).await.unwrap().id;
    let wealth = s.create_tag(&new_tag("兴趣·理财"), T0).await.unwrap().id;
    let with = |mut e: NewLinkEvent, tags: &[siyu_domain::TagId]| {
        e.interests = tags.to_vec();
        e
    };
    let gone = siyu_domain::TagId::new(9_999);
    let written = s
        .record_link_events(&[
            with(event(7, Some(c1), cm, "vb", Open, 0, at(20)), &[edu, wealth, gone]),
            with(event(7, Some(c1), cm, "vb", Open, 0, at(21)), &[edu, wealth]),
            with(event(7, None, cm, "vz", Open, 0, at(22)), &[edu]),
            with(event(8, Some(c2), cm, "vc", Open, 0, at(23)), &[edu]),
        ])
        .await
        .unwrap();
    assert_eq!(written.tagged, [(edu, vec![c1, c2]), (wealth, vec![c1])]);
    assert_eq!(s.tag_members(edu).await.unwrap().len(), 2);
    let again = s.record_link_events(&[with(event(7, Some(c1), cm, "vb", Open, 0, at(30)), &[edu])]).await.unwrap();
    assert!(again.tagged.is_empty(), "a tag is given once");
    let tl = s.customer_events(c1, Page::first(20)).await.unwrap().items;
    assert_eq!(tl.iter().filter(|e| e.kind.as_str() == "tag_added").count(), 2, "{tl:?}");
}

/// Sends are counted per version and sender, with the links' figures beside them; days are the
/// bank's (UTC+8); every manager asked about is answered, the ones who sent nothing with zeros.
pub async fn sends_and_their_figures_are_counted_per_version_day_and_manager(s: Arc<dyn Store>) {
    let bank = seed_bank(&*s).await;
    let (cm1, cm2) = (bank.cm1.id, bank.cm2.id);
    let item = siyu_domain::ContentItemId::new(3);
    let (v1, v2) = (ContentVersionId::new(7), ContentVersionId::new(8));
    // 2026-12-01 23:30 in the bank's time is 15:30 UTC; 16:30 UTC is already the 2nd there.
    let evening = Timestamp::from_millis(1_796_139_000_000);
    let send = |v: ContentVersionId, staff: StaffId, at: Timestamp| NewContentSend {
        item_id: item,
        version_id: v,
        staff_id: staff,
        customer_id: None,
        channel: "moments".into(),
        at,
    };
    for x in [send(v1, cm1, evening), send(v1, cm1, evening), send(v2, cm1, evening.plus_secs(3600))] {
        s.record_content_send(&x).await.unwrap();
    }
    s.record_content_send(&send(v1, cm2, evening)).await.unwrap();
    s.record_link_events(&[event(7, None, cm1, "va", LinkEventKind::Open, 0, evening.plus_secs(60))]).await.unwrap();

    let figures = s.content_figures(item, &[v2, v1]).await.unwrap();
    assert_eq!(
        figures.iter().map(|f| (f.version_id, f.sends, f.senders)).collect::<Vec<_>>(),
        [(v2, 1, 1), (v1, 3, 2)]
    );
    assert_eq!((figures[1].links.opens, figures[1].tags_given), (1, 0));

    let days = s.content_days(item, &[v1, v2], evening.plus_secs(-86_400)).await.unwrap();
    let first = (evening.millis() + 8 * 3_600_000).div_euclid(86_400_000);
    assert_eq!(
        days,
        [DayFigures { day: first, sends: 3, opens: 1 }, DayFigures { day: first + 1, sends: 1, opens: 0 }],
        "the hour after 23:30 is the next day at the bank"
    );
    assert!(s.content_days(item, &[], evening.plus_secs(7200)).await.unwrap().is_empty());

    let nobody = StaffId::new(9_999);
    let who = s.content_senders(item, &[v1, v2], &[cm2, nobody, cm1]).await.unwrap();
    assert_eq!(
        who.iter().map(|w| (w.staff_id, w.sends, w.opens)).collect::<Vec<_>>(),
        [(cm2, 1, 0), (nobody, 0, 0), (cm1, 3, 1)]
    );
    assert!(s.content_senders(item, &[], &[]).await.unwrap().is_empty());
}
