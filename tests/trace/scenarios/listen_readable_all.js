// listen_readable_all: Unix paths with readableAll, writableAll and both: the socket
// file gets read, write or both for everyone on top of what the umask left ('listening'
// comes with the mode already set). A server without either keeps the umask's mode.
const fs = require('fs');

module.exports = (t) => {
  const start = (name, readableAll, writableAll) => {
    const s = t.server(name);
    s.on('listening', () => {
      const mode = fs.statSync(s.address()).mode & 0o7777;
      t.log(s, `mode=${mode.toString(8)}`);
      s.close();
    });
    t.threw(s, 'listen', () => s.listen({ path: t.path(name), readableAll, writableAll }));
  };
  process.umask(0o027);
  start('both', true, true);
  start('neither', false, false);
  start('readable', true, false);
  start('writable', false, true);
};
