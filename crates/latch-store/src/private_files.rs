//! Files only the Latch user may read: the data directory (0700), the SQLite database with its
//! `-wal` and `-shm` companions, and the generated secret key (0600), whatever the umask.

use std::io;
use std::path::Path;

/// Mode of directories Latch creates for its data.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the database and key files.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) as 0700. An existing directory is left as it is (the
/// operator chose it), with a warning when others may enter it.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        warn_if_open(dir);
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
        // The umask may have taken bits away from DIR_MODE; never added any.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn warn_if_open(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(dir)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %dir.display(),
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "the data directory is open to other users; `chmod 700` it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_open(_: &Path) {}

/// Creates the empty file `path` as 0600 when it does not exist, or narrows an existing one to
/// 0600. SQLite gives its `-wal` and `-shm` files the mode of the database file; those already
/// there are narrowed too.
pub fn restrict_database_file(path: &Path) -> io::Result<()> {
    restrict_file(path, true)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        restrict_file(Path::new(&companion), false)?;
    }
    Ok(())
}

#[cfg(unix)]
fn restrict_file(path: &Path, create: bool) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o777 != FILE_MODE => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path) {
                Ok(_) => Ok(()),
                // Another process created it in between: narrow that one.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => restrict_file(path, false),
                Err(e) => Err(e),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn restrict_file(_: &Path, _: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_database_files_are_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/data");
        create_private_dir(&dir).expect("create");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700, "missing parents too");
        let db = dir.join("latch.db");
        restrict_database_file(&db).expect("create");
        assert_eq!((mode(&db), std::fs::metadata(&db).expect("stat").len()), (0o600, 0));
        // An existing world-readable database and WAL are narrowed.
        let wal = dir.join("latch.db-wal");
        std::fs::write(&wal, b"x").expect("write");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        restrict_database_file(&db).expect("narrow");
        assert_eq!((mode(&db), mode(&wal)), (0o600, 0o600));
        assert!(!dir.join("latch.db-shm").exists(), "absent companions are not created");
    }
}
