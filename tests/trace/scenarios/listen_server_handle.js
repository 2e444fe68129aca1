// listen_server_handle: server2.listen(server1): both listen on the same address; then
// server1 closes. Node shares server1's handle, so server2.address() then throws EBADF;
// libnetcore gives server2 its own duplicate of the listening fd, so server2 still
// listens (address() as before). Both close on their own.
module.exports = (t) => {
  const s1 = t.server('server1');
  const s2 = t.server('server2');
  s1.on('listening', () => t.threw(s2, 'listen', () => s2.listen(s1)));
  s2.on('listening', () => {
    s1.close(() => {
      const a = t.threw(s2, 'address', () => s2.address());
      if (a) t.log(s2, `after server1 closed: listening=${+s2.listening} ${t.address(a)}`);
      s2.close();
    });
  });
  t.listen(s1, '127.0.0.1', 0);
};
