//! The database seeds live in ratings/db/; the manifests carry copies in ConfigMaps (kubectl
//! cannot read files beside a manifest), which must stay equal to them.

use crate::support::{manifests_in, repo_root};

fn assert_embedded(manifest_file: &str, configmap: &str, key: &str, seed: &str) {
    let path = repo_root().join(seed);
    let seed_text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{seed} is missing ({error}); {manifest_file} embeds it"));
    let manifests = manifests_in(manifest_file);
    let map = manifests
        .iter()
        .find(|m| m.is("v1", "ConfigMap") && m.name() == configmap)
        .unwrap_or_else(|| panic!("ConfigMap {configmap} not in {manifest_file}"));
    let embedded = map.value["data"][key].as_str().unwrap_or_default();
    assert!(
        embedded == seed_text,
        "{manifest_file}: ConfigMap {configmap} key {key} differs from {seed}; copy the file's \
         text into the block, indented by four spaces"
    );
}

#[test]
fn the_mysql_init_configmap_holds_ratings_sql_verbatim() {
    assert_embedded(
        "platform/kube/bookinfo-mysql.yaml",
        "mysqldb-init",
        "ratings.sql",
        "ratings/db/mysql/ratings.sql",
    );
}

#[test]
fn the_mongodb_init_configmap_holds_ratings_js_verbatim() {
    assert_embedded(
        "platform/kube/bookinfo-db.yaml",
        "mongodb-init",
        "ratings.js",
        "ratings/db/mongodb/ratings.js",
    );
}
