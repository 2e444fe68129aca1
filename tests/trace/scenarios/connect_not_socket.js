// connect_not_socket: connect() to a Unix path that is a regular file: 'error'
// ECONNREFUSED naming the path, then close(hadError=true).
const fs = require('fs');

module.exports = (t) => {
  const c = t.socket('client');
  const path = t.path('file');
  fs.writeFileSync(path, 'x');
  t.threw(c, 'connect', () => c.connect({ path }));
};
