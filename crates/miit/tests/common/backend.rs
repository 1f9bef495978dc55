//! A tiny in-memory `IspBackend` for the tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use beian_miit::v3::auth::Credentials;
use beian_miit::v3::codec::AesKey;
use beian_miit::v3::codes::{FilingStatus, QueryConditionType, ReturnCode};
use beian_miit::v3::personal::Secret;
use beian_miit::v3::returns::StatusInfo;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::server::{DecodedUpload, IspAccount, IspBackend, OutgoingFile, PreviousUpload};

pub const USER: &str = "zjprovider";
pub const PASSWORD: &str = "Pa55word!";
pub const FILING_PASSWORD: &str = "Beian2024";
pub const PASSWORD_CHECK_LIMIT: u32 = 3;

pub fn credentials() -> Credentials {
    Credentials {
        isp_id: super::ISP_ID,
        user_name: USER.into(),
        password: Secret::from(PASSWORD),
    }
}

pub fn aes_key() -> AesKey {
    AesKey::parse("XRDRUE7FFCRE1T7I", "0102030405060708").unwrap()
}

#[derive(Default)]
pub struct State {
    pub last_sequence: Option<DataSequence>,
    pub uploads: Vec<DecodedUpload>,
    pub outgoing: VecDeque<OutgoingFile>,
    pub acked: Vec<String>,
    pub password_checks: u32,
}

pub struct TestBackend {
    pub encrypt: bool,
    pub state: Mutex<State>,
}

impl TestBackend {
    pub fn new(encrypt: bool) -> TestBackend {
        TestBackend {
            encrypt,
            state: Mutex::new(State::default()),
        }
    }
}

#[async_trait]
impl IspBackend for TestBackend {
    async fn account(&self, isp_id: i64) -> Option<IspAccount> {
        (isp_id == super::ISP_ID).then(|| IspAccount {
            credentials: credentials(),
            aes_key: self.encrypt.then(aes_key),
            last_sequence: self.state.lock().unwrap().last_sequence,
        })
    }

    async fn accept_upload(&self, _isp_id: i64, upload: DecodedUpload) -> Result<(), ReturnCode> {
        let mut state = self.state.lock().unwrap();
        state.last_sequence = Some(upload.sequence);
        state.uploads.push(upload);
        Ok(())
    }

    async fn next_download(&self, _isp_id: i64) -> Result<Option<OutgoingFile>, ReturnCode> {
        let state = self.state.lock().unwrap();
        Ok(state.outgoing.front().map(|f| OutgoingFile {
            more: state.outgoing.len() > 1,
            ..f.clone()
        }))
    }

    async fn ack_download(&self, _isp_id: i64, file_name: &str) -> Result<(), ReturnCode> {
        let mut state = self.state.lock().unwrap();
        match state.outgoing.front() {
            Some(f) if f.file_name == file_name => {
                state.outgoing.pop_front();
                state.acked.push(file_name.to_owned());
                Ok(())
            }
            _ => Err(ReturnCode::Other),
        }
    }

    async fn previous_upload(&self, _isp_id: i64) -> Result<Option<PreviousUpload>, ReturnCode> {
        let state = self.state.lock().unwrap();
        Ok(state.uploads.last().map(|u| PreviousUpload {
            sequence: u.sequence,
            file_name: u.file_name.clone(),
            encoded: u.encoded.clone(),
        }))
    }

    async fn query_status(
        &self,
        _isp_id: i64,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<StatusInfo, ReturnCode> {
        let filed = condition == "example.cn";
        Ok(StatusInfo {
            condition_type,
            condition: condition.to_owned(),
            website_name: filed.then(|| "示例科技官网".to_owned()),
            sponsor_number: filed.then(|| "浙ICP备2021012345号".to_owned()),
            website_number: filed.then(|| "浙ICP备2021012345号-1".to_owned()),
            status: if filed {
                FilingStatus::Filed
            } else {
                FilingStatus::NotFiled
            },
            sponsor: None,
        })
    }

    async fn verify_password(
        &self,
        _isp_id: i64,
        icp_number: &str,
        password: &str,
    ) -> Result<bool, ReturnCode> {
        let mut state = self.state.lock().unwrap();
        state.password_checks += 1;
        if state.password_checks > PASSWORD_CHECK_LIMIT {
            return Err(ReturnCode::PasswordCheckLimit);
        }
        Ok(icp_number == "浙ICP备2021012345号" && password == FILING_PASSWORD)
    }
}
