//! The live index: changes applied over the frozen bulk, counted, listed and compacted.

use std::sync::Arc;

use beian_store::gate::AccessChange;

use super::*;

fn change(id: i64, domain: &str, active: bool) -> AccessChange {
    AccessChange {
        id,
        domain: domain.to_owned(),
        active,
    }
}

#[tokio::test]
async fn changes_apply_in_order_and_survive_compaction() {
    let index = Arc::new(GateIndex::empty(0));
    assert!(index.is_empty());
    index.apply(&[
        change(1, "a.cn", true),
        change(2, "b.cn", true),
        change(3, "a.cn", false),
        change(4, "c.com.cn", true),
    ]);
    assert_eq!(index.applied_change(), 4);
    assert!(!index.contains("a.cn"));
    assert!(index.contains("b.cn") && index.contains("c.com.cn"));
    assert_eq!(index.len(), 2);
    // A replay of a change the load already saw changes nothing.
    index.apply(&[change(4, "c.com.cn", true)]);
    assert_eq!(index.len(), 2);

    index.compact().await.unwrap();
    assert_eq!(index.overlay_len(), 0);
    assert_eq!(
        index.names(),
        vec!["b.cn".to_string(), "c.com.cn".to_string()]
    );
    index.apply(&[change(5, "b.cn", false), change(6, "a.cn", true)]);
    assert!(!index.contains("b.cn") && index.contains("a.cn"));
    assert_eq!(
        index.names(),
        vec!["a.cn".to_string(), "c.com.cn".to_string()]
    );
}

#[test]
fn decisions_for_hosts() {
    let index = GateIndex::empty(0);
    index.apply(&[
        change(1, "xn--fsqu00a.xn--fiqs8s", true),
        change(2, "example.com.cn", true),
    ]);
    assert!(index.decide("WWW.例子.中国:443").served());
    assert!(index.decide("shop.EXAMPLE.com.cn.").served());
    assert_eq!(
        index.decide("example.cn"),
        Decision::NotAccessed(Domain::parse("example.cn").unwrap())
    );
    for host in ["", "com.cn", "127.0.0.1:80", "[::1]"] {
        assert_eq!(index.decide(host), Decision::NotADomain, "{host:?}");
    }
}
