//! The seeder's batched multi-row inserts (sponsors with both name indexes, websites,
//! accesses), each statement under SQLite's 32766 bound variables. Certificate numbers and
//! mobiles are sealed here, under keys derived once ([`RegistryCrypto`]).

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::Batch;
use crate::Error;
use crate::crypto::{Field, RegistryCrypto};

pub(crate) async fn insert_batch(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    batch: &Batch,
) -> Result<(), Error> {
    // Rows per statement, under SQLite's 32766 bound variables.
    for chunk in batch.sponsors.chunks(1_000) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO sponsors (id, province, nature, certificate_type, certificate_number, \
             certificate_index, name, responsible_name, responsible_mobile, number, password_salt, \
             password_hash, next_website_serial, filed_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, s| {
            b.push_bind(s.id)
                .push_bind(s.province.code())
                .push_bind(s.nature)
                .push_bind(s.certificate_type)
                .push_bind(crypto.seal(Field::Certificate, &s.certificate_number))
                .push_bind(crypto.blind(Field::Certificate, &s.certificate_number))
                .push_bind(s.name.clone())
                .push_bind(s.responsible_name.clone())
                .push_bind(crypto.seal(Field::Mobile, &s.responsible_mobile))
                .push_bind(s.number.clone())
                .push_bind(s.salt.to_vec())
                .push_bind(s.hash.to_vec())
                .push_bind(s.next_serial)
                .push_bind(s.filed_at.clone())
                .push_bind(s.filed_at.clone());
        });
        q.build().execute(&mut *conn).await?;
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO sponsor_bigrams (rowid, grams) ");
        q.push_values(chunk, |mut b, s| {
            b.push_bind(s.id)
                .push_bind(crate::registry::spaced_bigrams(&s.name));
        });
        q.build().execute(&mut *conn).await?;
    }
    for chunk in batch.websites.chunks(2_000) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO websites (id, sponsor_id, name, domain, home_url, responsible_name, \
             responsible_mobile, number, filed_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, w| {
            b.push_bind(w.id)
                .push_bind(w.sponsor_id)
                .push_bind(w.name.clone())
                .push_bind(w.domain.clone())
                .push_bind(format!("http://www.{}/", w.domain))
                .push_bind(w.responsible_name.clone())
                .push_bind(crypto.seal(Field::Mobile, &w.responsible_mobile))
                .push_bind(w.number.clone())
                .push_bind(w.filed_at.clone())
                .push_bind(w.filed_at.clone());
        });
        q.build().execute(&mut *conn).await?;
    }
    for chunk in batch.accesses.chunks(5_000) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO accesses (website_id, provider_id, created_at) ");
        q.push_values(chunk, |mut b, (website, provider, at)| {
            b.push_bind(*website)
                .push_bind(*provider)
                .push_bind(at.clone());
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}
