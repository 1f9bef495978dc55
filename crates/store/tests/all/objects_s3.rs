//! The object store against a real local S3 server (s3s-fs): put, get, delete, random keys,
//! objects sealed in the bucket.

use beian_store::objects::Objects;
use beian_store::testing::s3::S3Server;

#[tokio::test]
async fn s3_put_get_delete() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let crypto = beian_store::crypto::Crypto::new(&beian_store::DataKey::generate());
    let objs = Objects::open(&server.config(), &crypto).unwrap();
    let body = "核验单 scan".as_bytes().to_vec();
    let a = objs.put(body.clone()).await.unwrap();
    let b = objs.put(vec![0u8; 100_000]).await.unwrap();
    assert_ne!(a.key, b.key);
    assert!(a.key.starts_with("o/") && a.key.len() == 34);
    assert_eq!(objs.get(&a.key).await.unwrap(), body);
    assert_eq!(objs.get(&b.key).await.unwrap().len(), 100_000);
    // The object really is in the server's directory.
    let stored = std::fs::read(
        server
            .root
            .path()
            .join(beian_store::testing::s3::BUCKET)
            .join(&a.key),
    )
    .unwrap();
    // Sealed: the bucket never holds the plaintext.
    assert!(stored.starts_with(beian_store::crypto::OBJECT_MAGIC));
    assert!(!stored.windows(body.len()).any(|w| w == body.as_slice()));
    objs.delete(&a.key).await.unwrap();
    assert!(matches!(
        objs.get(&a.key).await,
        Err(beian_store::StoreError::NotFound { .. })
    ));
    assert!(objs.get("o/../../etc/passwd").await.is_err());
}
