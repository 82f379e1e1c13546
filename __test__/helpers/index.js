'use strict'
/** Every test helper in one require: tokens, the loopback identity provider and the TLS fixture. */
module.exports = {
  ...require('./tokens'),
  ...require('./idp'),
  ...require('./tls'),
  ...require('./expect'),
  ...require('./http')
}
