//! Signed images: signatures kept once per name, keys once per
//! fingerprint, and every change marking the package changed.

use chrono::Utc;
use entrepot_core::image_signing::{KeyKind, RequiredKey, StoredSignature};
use entrepot_core::{Id, PackageType, Visibility};

use crate::meta::{MetadataStore, NewPackage};

pub(super) async fn image_signing(store: &dyn MetadataStore, alice: Id) {
    let package = store
        .create_package(NewPackage {
            owner_id: alice,
            package_type: PackageType::Container,
            name: "signed-app".into(),
            visibility: Visibility::Private,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let digest = "sha256:6fdbdefbdf323e533f4de222118b2deb0b2b51cc05890ff66178c7ded5d8f62f";
    let signature = StoredSignature {
        id: 0,
        package_id: package.id,
        manifest_digest: digest.into(),
        name: format!("{digest}@ad44f29ff4299c61206a1b499030ab5a"),
        content: vec![0xa3, 0x01, 0x00, 0xff],
        created_by: Some(alice),
        created_at: Utc::now(),
    };
    assert!(store.add_image_signature(&signature).await.unwrap());
    let changed = |p: &entrepot_core::Package| p.updated_at;
    let after_signature = store.package_by_id(package.id).await.unwrap().unwrap();
    assert!(changed(&after_signature) >= changed(&package));
    // The same name again keeps the first.
    let again = StoredSignature {
        content: vec![1, 2, 3],
        ..signature.clone()
    };
    assert!(!store.add_image_signature(&again).await.unwrap());
    let kept = store.image_signatures(package.id, digest).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].content, signature.content, "byte for byte");
    assert_eq!(kept[0].name, signature.name);
    assert!(
        store
            .image_signatures(package.id, "sha256:00")
            .await
            .unwrap()
            .is_empty()
    );

    let key = RequiredKey {
        id: 0,
        package_id: package.id,
        kind: KeyKind::Openpgp,
        fingerprint: "90350FC83C6CDF7BAEF7E275FC879C8BA4658EA8".into(),
        public_key: "-----BEGIN PGP PUBLIC KEY BLOCK-----".into(),
        note: Some("release key".into()),
        created_by: Some(alice),
        created_at: Utc::now(),
    };
    let added = store.add_signing_key(&key).await.unwrap().unwrap();
    assert!(added.id > 0);
    assert_eq!(added.kind, KeyKind::Openpgp);
    assert_eq!(added.note.as_deref(), Some("release key"));
    assert_eq!(
        store.add_signing_key(&key).await.unwrap(),
        None,
        "one per fingerprint"
    );
    let cosign = RequiredKey {
        kind: KeyKind::Cosign,
        fingerprint: "SHA256:ab".into(),
        note: None,
        ..key.clone()
    };
    let second = store.add_signing_key(&cosign).await.unwrap().unwrap();
    let keys = store.signing_keys(package.id).await.unwrap();
    assert_eq!(keys, vec![added.clone(), second.clone()]);
    assert!(
        !store
            .remove_signing_key(package.id + 1000, added.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .remove_signing_key(package.id, added.id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_signing_key(package.id, added.id)
            .await
            .unwrap()
    );
    assert_eq!(store.signing_keys(package.id).await.unwrap(), vec![second]);
}
