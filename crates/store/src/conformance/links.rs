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
