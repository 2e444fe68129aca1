// connect_port_zero: port 0 is a valid argument to connect() (Node validates it with
// zero allowed); the kernel refuses it: ECONNREFUSED, without a port in the error.
module.exports = (t) => {
  const c = t.socket('client');
  t.threw(c, 'connect', () => c.connect({ port: 0, host: '127.0.0.1' }));
};
