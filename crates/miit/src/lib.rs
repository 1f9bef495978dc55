//! The MIIT enterprise interface (《ICP/IP地址/域名信息备案管理系统企业系统接口规范》), both
//! ends: what a provider's filing system (企业侧系统) sends and what the ministry's and the
//! provincial bureaus' systems (部级系统, 省局系统) answer.
//!
//! Each version of the specification lives in its own module; V3.0 (October 2013) is
//! [`v3`]. Only its ICP part is built (新增备案, 新增网站, 新增接入, 变更备案, 注销备案 and
//! 取消接入, 真实性核验材料, and their results); the IP and domain-registrar parts are not.
//! [`ext`] holds this project's own extensions (APP filing), in namespaces of its own.

pub mod ext;
pub mod v3;

pub use v3::codec;
