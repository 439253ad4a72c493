/* lib/sip/credentials.c: SipCredentials, a user name, password and realm that answer a
 * digest challenge (declared in crossbar/sipmsg.h). */
#include <crossbar/sipmsg.h>

#include <openssl/crypto.h>
#include <string.h>

struct sip_credentials {
	char *username;
	char *password;
	char *realm;
};

SipCredentials *sip_credentials_new(const char *username, const char *password, const char *realm)
{
	SipCredentials *c = g_new0(SipCredentials, 1);

	c->username = g_strdup(username ? username : "");
	c->password = g_strdup(password ? password : "");
	c->realm = g_strdup(realm ? realm : "");
	return c;
}

SipCredentials *sip_credentials_dup(const SipCredentials *c)
{
	return sip_credentials_new(c->username, c->password, c->realm);
}

void sip_credentials_free(SipCredentials *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c->password, strlen(c->password));
	g_free(c->username);
	g_free(c->password);
	g_free(c->realm);
	g_free(c);
}

const char *sip_credentials_username(const SipCredentials *c)
{
	return c->username;
}

const char *sip_credentials_password(const SipCredentials *c)
{
	return c->password;
}

const char *sip_credentials_realm(const SipCredentials *c)
{
	return c->realm;
}
