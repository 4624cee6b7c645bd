//! The conformance suite every [`ObjectStore`] implementation must pass.
//! Call [`run_all`] from the implementation's tests with an empty store.

use bytes::Bytes;

use crate::{ObjectStore, ObjectStoreError};

pub async fn run_all(store: &dyn ObjectStore) {
    put_then_get_returns_same_bytes(store).await;
    get_range_returns_exact_slice(store).await;
    out_of_range_read_is_an_error(store).await;
    missing_object_is_not_found(store).await;
    delete_is_idempotent(store).await;
    list_sees_puts_and_deletes(store).await;
    invalid_keys_are_refused(store).await;
    put_replaces_atomically(store).await;
}

async fn put_then_get_returns_same_bytes(store: &dyn ObjectStore) {
    let data = Bytes::from((0..100_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    store.put("conf-a", data.clone()).await.expect("put");
    assert_eq!(store.get("conf-a").await.expect("get"), data);
    store.put("conf-empty", Bytes::new()).await.expect("put empty");
    assert_eq!(store.get("conf-empty").await.expect("get empty").len(), 0);
}

async fn get_range_returns_exact_slice(store: &dyn ObjectStore) {
    let data = Bytes::from((0..4096u32).map(|i| (i % 13) as u8).collect::<Vec<_>>());
    store.put("conf-range", data.clone()).await.expect("put");
    for (s, e) in [(0u64, 1u64), (100, 200), (4095, 4096), (0, 4096), (10, 10)] {
        let got = store.get_range("conf-range", s..e).await.expect("range");
        assert_eq!(got, data.slice(s as usize..e as usize), "range {s}..{e}");
    }
}

async fn out_of_range_read_is_an_error(store: &dyn ObjectStore) {
    store.put("conf-small", Bytes::from_static(b"0123456789")).await.expect("put");
    let err = store.get_range("conf-small", 5..11).await.expect_err("past the end");
    assert!(matches!(err, ObjectStoreError::BadRange { .. }), "{err:?}");
}

async fn missing_object_is_not_found(store: &dyn ObjectStore) {
    let err = store.get("conf-never-written").await.expect_err("missing");
    assert!(matches!(err, ObjectStoreError::NotFound(_)), "{err:?}");
    let err = store.get_range("conf-never-written", 0..1).await.expect_err("missing");
    assert!(matches!(err, ObjectStoreError::NotFound(_)), "{err:?}");
}

async fn delete_is_idempotent(store: &dyn ObjectStore) {
    store.put("conf-del", Bytes::from_static(b"x")).await.expect("put");
    store.delete("conf-del").await.expect("delete");
    store.delete("conf-del").await.expect("delete again");
    assert!(matches!(store.get("conf-del").await, Err(ObjectStoreError::NotFound(_))));
}

async fn list_sees_puts_and_deletes(store: &dyn ObjectStore) {
    store.put("conf-list-1", Bytes::from_static(b"abc")).await.expect("put");
    store.put("conf-list-2", Bytes::from_static(b"de")).await.expect("put");
    store.delete("conf-list-2").await.expect("delete");
    let listed = store.list().await.expect("list");
    let one = listed.iter().find(|m| m.key == "conf-list-1").expect("listed");
    assert_eq!(one.size_bytes, 3);
    assert!(one.modified_ms > 0);
    assert!(!listed.iter().any(|m| m.key == "conf-list-2"));
}

async fn invalid_keys_are_refused(store: &dyn ObjectStore) {
    for key in ["", "../escape", "a/b", ".hidden", "spa ce"] {
        let err = store.put(key, Bytes::from_static(b"x")).await.expect_err("invalid key");
        assert!(matches!(err, ObjectStoreError::InvalidKey(_)), "{key:?}: {err:?}");
    }
}

async fn put_replaces_atomically(store: &dyn ObjectStore) {
    store.put("conf-replace", Bytes::from_static(b"first")).await.expect("put");
    store.put("conf-replace", Bytes::from_static(b"second!")).await.expect("put again");
    assert_eq!(store.get("conf-replace").await.expect("get"), Bytes::from_static(b"second!"));
}
