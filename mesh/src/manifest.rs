//! Reading what `-f` names, as `kubectl` does: a file, every `.yaml`/`.yml`/`.json` file of a
//! directory (in name order), or `-` for standard input.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::MeshError;

/// The text of the manifests `source` names, documents separated by `---`.
pub fn read_manifests(source: &str) -> Result<String, MeshError> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| MeshError::io("-", error))?;
        return Ok(text);
    }
    let path = Path::new(source);
    if !path.is_dir() {
        return fs::read_to_string(path).map_err(|error| MeshError::io(path, error));
    }
    let mut files: Vec<PathBuf> = fs::read_dir(path)
        .map_err(|error| MeshError::io(path, error))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| {
            file.extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| matches!(extension, "yaml" | "yml" | "json"))
        })
        .collect();
    files.sort();
    let mut text = String::new();
    for file in files {
        let content = fs::read_to_string(&file).map_err(|error| MeshError::io(&file, error))?;
        text.push_str("\n---\n");
        text.push_str(&content);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_reads_as_its_yaml_files_in_name_order() {
        let dir = std::env::temp_dir().join(format!("mesh-manifests-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("b.yaml"), "kind: B\n").unwrap();
        fs::write(dir.join("a.yml"), "kind: A\n").unwrap();
        fs::write(dir.join("notes.txt"), "kind: C\n").unwrap();

        let text = read_manifests(dir.to_str().unwrap()).unwrap();

        assert_eq!(text, "\n---\nkind: A\n\n---\nkind: B\n");
        assert!(read_manifests(dir.join("missing.yaml").to_str().unwrap()).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
