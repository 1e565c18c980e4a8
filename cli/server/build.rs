//! Compiles KurrentDB's gRPC protocol (`proto/`, see `proto/NOTICE.md`) into
//! server stubs, with a protoc that comes with the build (no system protoc).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/streams.proto",
        "proto/serverfeatures.proto",
        "proto/gossip.proto",
        "proto/persistent.proto",
    ];
    for proto in protos.iter().chain(&[
        "proto/shared.proto",
        "proto/status.proto",
        "proto/code.proto",
    ]) {
        println!("cargo:rerun-if-changed={proto}");
    }
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    config.bytes([
        ".event_store.client.streams.AppendReq.ProposedMessage.data",
        ".event_store.client.streams.AppendReq.ProposedMessage.custom_metadata",
        ".event_store.client.streams.BatchAppendReq.ProposedMessage.data",
        ".event_store.client.streams.BatchAppendReq.ProposedMessage.custom_metadata",
        ".event_store.client.streams.ReadResp.ReadEvent.RecordedEvent.data",
        ".event_store.client.streams.ReadResp.ReadEvent.RecordedEvent.custom_metadata",
    ]);
    let include = protoc_bin_vendored::include_path()?;
    tonic_build::configure()
        .build_client(false)
        .build_server(true)
        .compile_protos_with_config(
            config,
            &protos,
            &[std::path::PathBuf::from("proto"), include],
        )?;
    Ok(())
}
