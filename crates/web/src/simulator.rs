//! The bundled simulator as the server runs it in-process: this provider's account in its
//! registry, registered at startup from the credentials of the registry link.

use beian_platform::regulator_link::Resolved;
use beian_regulator::Regulator;

/// Registers this provider in the in-process simulator's registry if it is absent (an
/// existing entry is left as it is).
pub async fn ensure_provider(
    regulator: &Regulator,
    resolved: &Resolved,
) -> Result<(), beian_regulator::Error> {
    if regulator.provider(resolved.isp_id).await?.is_some() {
        return Ok(());
    }
    let (aes_key, aes_iv) = resolved.aes.clone().unwrap_or_default();
    regulator
        .add_provider(&beian_regulator::service::Provider {
            id: resolved.isp_id,
            name: "beian".to_owned(),
            province: "33".to_owned(),
            username: resolved.user.clone(),
            password: resolved.password.clone(),
            aes_key,
            aes_iv,
        })
        .await?;
    tracing::info!(
        isp_id = resolved.isp_id,
        "provider registered in the simulator"
    );
    Ok(())
}
