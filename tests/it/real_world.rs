//! Manifests written as teams write them (`tests/data/real-world/`) are accepted: fields and
//! kinds the simulator does not model become notes of `kubesim validate`, never errors, and
//! the scenario runs with its checks passing.

use crate::support::{kubesim, root};

#[test]
fn real_world_manifests_validate_with_notes_and_run() {
    let scenario = root().join("tests/data/real-world/scenario.yaml");
    let out = kubesim(&["validate", scenario.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("is valid: 3 node(s), 8 manifest object(s)"), "{stdout}");
    for note in [
        "Deployment: spec.template.spec.securityContext",
        "Deployment: spec.template.spec.containers[].lifecycle",
        "Deployment: spec.template.spec.containers[].startupProbe",
        "Deployment: spec.template.spec.imagePullSecrets",
        "Job: spec.template.spec.serviceAccountName",
        "Service: spec.sessionAffinity",
        "kind NetworkPolicy (accepted, not simulated)",
        "kind ServiceAccount (accepted, not simulated)",
    ] {
        assert!(stdout.contains(note), "missing note {note:?} in\n{stdout}");
    }
    let dir = crate::support::temp_dir("real-world");
    let out = kubesim(&["run", scenario.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--quiet"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn exported_storage_objects_validate_with_notes_and_run() {
    let scenario = root().join("tests/data/real-world/storage-scenario.yaml");
    let out = kubesim(&["validate", scenario.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("is valid: 3 node(s), 5 manifest object(s)"), "{stdout}");
    for note in [
        "PersistentVolume: spec.csi (the volume source of a PersistentVolume)",
        "PersistentVolume: spec.claimRef.uid",
        "PersistentVolume: status",
        "PersistentVolumeClaim: status",
        "StorageClass: parameters (of a StorageClass: passed to its provisioner)",
        "StorageClass: allowVolumeExpansion (of a StorageClass)",
        "StatefulSet: spec.volumeClaimTemplates[].status",
    ] {
        assert!(stdout.contains(note), "missing note {note:?} in\n{stdout}");
    }
    // The checks: the exported claim binds to its exported volume in eu-west-1b, which pulls
    // both StatefulSet pods (and so their new volumes) into that zone.
    let dir = crate::support::temp_dir("real-world-storage");
    let out = kubesim(&["run", scenario.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--quiet"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
}
