//! The provider binary started exactly as Terraform starts it: go-plugin handshake, AutoMTLS
//! over a private unix socket, tfplugin6 and the controller service.

use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use acceptance_tests::plugin_client::{
    GrpcControllerClient, ProviderClient, start_plugin, terraform_like_client_cert,
};
use acceptance_tests::{block_on, provider_binary};
use terraform_provider_apigw::plugin::codec;
use terraform_provider_apigw::plugin::proto::{go_plugin, tfplugin6};
use terraform_provider_apigw::plugin::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use terraform_provider_apigw::plugin::types::Type;
use terraform_provider_apigw::plugin::value::Value;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn handshake_then_schema_over_mtls() {
    let client = terraform_like_client_cert();
    let mut plugin = start_plugin(&provider_binary(), &client, "5,6");

    let hs = plugin.handshake.clone();
    assert_eq!(hs.core_version, 1);
    assert_eq!(hs.protocol_version, 6);
    assert_eq!(hs.network, "unix");
    assert_eq!(hs.protocol, "grpc");
    let socket = plugin.socket_path();
    let socket_dir = socket
        .parent()
        .expect("socket has a directory")
        .to_path_buf();
    assert!(socket.exists(), "{} missing", socket.display());
    assert_eq!(mode(&socket), 0o600, "socket mode");
    assert_eq!(mode(&socket_dir), 0o700, "socket directory mode");
    // A DER certificate is one SEQUENCE with a long-form length.
    assert!(
        hs.server_cert_der.len() > 100 && hs.server_cert_der[0] == 0x30,
        "server certificate is not DER"
    );

    block_on(async {
        let channel = plugin
            .connect(&client)
            .await
            .unwrap_or_else(|e| panic!("connecting: {e:?}\nplugin stderr:\n{}", plugin.stderr()));
        let schema = ProviderClient::new(channel.clone())
            .get_provider_schema(tfplugin6::get_provider_schema::Request {})
            .await
            .unwrap_or_else(|e| panic!("GetProviderSchema: {e:?}\nstderr:\n{}", plugin.stderr()))
            .into_inner();
        assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
        let block = schema
            .provider
            .and_then(|s| s.block)
            .expect("provider schema block");
        let attrs: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        let blocks: Vec<&str> = block
            .block_types
            .iter()
            .map(|b| b.type_name.as_str())
            .collect();
        assert!(attrs.contains(&"region"), "attributes: {attrs:?}");
        assert!(blocks.contains(&"endpoints"), "blocks: {blocks:?}");

        // The data source is offered, its arguments required and what it finds computed, and
        // its configuration validates over the wire: an unknown value passes, a bad name does not.
        let data_source = schema.data_source_schemas["apigw_stage_access_log"]
            .block
            .clone()
            .expect("data source schema block");
        let flags: Vec<(&str, bool, bool)> = data_source
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.required, a.computed))
            .collect();
        assert!(flags.contains(&("stage_name", true, false)), "{flags:?}");
        assert!(flags.contains(&("managed_by", false, true)), "{flags:?}");
        let mut provider = ProviderClient::new(channel.clone());
        let ty = Type::object(data_source.attributes.iter().map(|a| {
            (
                a.name.as_str(),
                Type::from_json_bytes(&a.r#type).expect("attribute type"),
            )
        }));
        for (stage_name, errors) in [(Value::unknown(), 0), (Value::from("prod.v1"), 1)] {
            let config =
                Value::object([("rest_api_id", "abc123".into()), ("stage_name", stage_name)]);
            let diags = provider
                .validate_data_resource_config(tfplugin6::validate_data_resource_config::Request {
                    type_name: "apigw_stage_access_log".to_owned(),
                    config: Some(tfplugin6::DynamicValue {
                        msgpack: codec::encode_msgpack(&config, &ty).expect("msgpack"),
                        json: Vec::new(),
                    }),
                })
                .await
                .expect("ValidateDataResourceConfig")
                .into_inner()
                .diagnostics;
            assert_eq!(diags.len(), errors, "{diags:?}");
        }

        GrpcControllerClient::new(channel)
            .shutdown(go_plugin::Empty {})
            .await
            .expect("Shutdown");
    });

    let status = plugin
        .wait_timeout(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("plugin still running 10 s after Shutdown"));
    assert!(status.success(), "{status}; stderr:\n{}", plugin.stderr());
    assert!(
        !socket_dir.exists(),
        "socket directory {} left behind",
        socket_dir.display()
    );
}

#[test]
fn a_client_with_another_certificate_is_refused() {
    let announced = terraform_like_client_cert();
    let stranger = terraform_like_client_cert();
    let plugin = start_plugin(&provider_binary(), &announced, "6");

    let result = block_on(async {
        let channel = plugin
            .connect(&stranger)
            .await
            .map_err(|e| format!("{e:?}"))?;
        ProviderClient::new(channel)
            .get_provider_schema(tfplugin6::get_provider_schema::Request {})
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    });
    assert!(
        result.is_err(),
        "a client with an unannounced certificate got an answer"
    );
}

#[test]
fn run_by_hand_it_explains_itself() {
    let out = Command::new(provider_binary())
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .expect("running the provider");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exit status {}", out.status);
    assert!(stderr.contains("Terraform provider plugin"), "{stderr}");
    assert!(stderr.contains("terraform init"), "{stderr}");
}

#[test]
fn wrong_protocol_is_a_clear_error() {
    let client = terraform_like_client_cert();
    let out = Command::new(provider_binary())
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .env("PLUGIN_CLIENT_CERT", &client.cert_pem)
        .stdin(Stdio::null())
        .output()
        .expect("running the provider");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exit status {}", out.status);
    assert!(stderr.contains("version 6"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no handshake expected: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_plugin_whose_terraform_died_stops_by_itself() {
    use std::io::BufRead as _;
    let client = terraform_like_client_cert();
    let mut child = Command::new(provider_binary())
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", &client.cert_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the plugin");
    let mut handshake = String::new();
    if let Some(pipe) = child.stdout.take() {
        let mut stdout = std::io::BufReader::new(pipe);
        let _ = stdout.read_line(&mut handshake);
        // Terraform's end of the pipe goes away, as when terraform is killed.
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut exited = false;
    while !exited && std::time::Instant::now() < deadline {
        exited = matches!(child.try_wait(), Ok(Some(_)));
        std::thread::sleep(Duration::from_millis(100));
    }
    if !exited {
        let _ = child.kill();
    }
    let _ = child.wait();
    assert!(
        handshake.starts_with("1|6|unix|"),
        "no handshake: {handshake:?}"
    );
    assert!(
        exited,
        "the plugin kept running after terraform's end of its stdout closed"
    );
    let socket_dir = std::path::Path::new(handshake.split('|').nth(3).unwrap_or(""))
        .parent()
        .map(|d| d.to_owned());
    assert!(
        socket_dir.is_some_and(|d| !d.exists()),
        "the socket directory was left behind"
    );
}
