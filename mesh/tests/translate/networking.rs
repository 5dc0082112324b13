//! Every file in the repository's `networking/` (upstream's routing files): accepted and
//! translated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::PathBuf;

use mesh::istio::{self, ResourceSet};
use mesh::translate;

use crate::helpers::bookinfo;

fn networking_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../networking");
    let mut files: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "upstream has 21 networking files: {}",
        files.len()
    );
    files
}

#[test]
fn every_networking_file_is_accepted_and_translates() {
    for (name, text) in networking_files() {
        let parsed = istio::parse(&text);
        let resources = parsed.unwrap_or_else(|error| panic!("{name}: {error}"));
        let mut set = ResourceSet::new();
        set.apply(resources);
        translate(&bookinfo(), &set).unwrap_or_else(|error| panic!("{name}: {error}"));
    }
}
