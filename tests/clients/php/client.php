<?php
// SPDX-License-Identifier: GPL-2.0-or-later
// A PHP client of ctd.cgi the way a PHP frontend (pyctd's) talks to it:
// php-xmlrpc, requests encoded as iso-8859-1, filters as array() (which
// php-xmlrpc sends as an empty <array>), ids as strings.  The shell test
// runs the CGI; this script only builds request bodies and decodes answers.
//
//   php client.php request METHOD [ARGS...]   print the request body
//   php client.php decode < response-body      print the answer as JSON:
//        {"fault": code, "string": "..."} or {"value": ..., "nulls": N}
$opts = array('encoding' => 'iso-8859-1', 'escaping' => 'markup', 'version' => 'xmlrpc');

function count_nulls($v)
{
	if ($v === null)
		return 1;
	$n = 0;
	if (is_array($v))
		foreach ($v as $x)
			$n += count_nulls($x);
	return $n;
}

$mode = $argv[1] ?? '';
if ($mode === 'request') {
	$m = $argv[2];
	$a = array_slice($argv, 3);
	switch ($m) {
	case 'login':
		// Latin-1 user/password: ignored under Apache auth, but must parse
		$p = array(utf8_decode("jos\u{e9}"), utf8_decode("p\u{e4}ssw\u{f6}rd"));
		break;
	case 'view':      // view(session, array(), order_by, order_dir, start, length)
		$p = array($a[0], array(), $a[1] ?? 'id', $a[2] ?? 'ASC', (int)($a[3] ?? 0), (int)($a[4] ?? 50));
		break;
	case 'viewf':     // view(session, array(key => value)) with a string value
		$p = array($a[0], array($a[1] => $a[2]));
		break;
	case 'kill':      // kill(session, array("id", "id", ...)): ids as strings
		$p = array($a[0], array_map('strval', array_slice($a, 1)));
		break;
	case 'change':    // change(session, field, "id", int value)
		$p = array($a[0], $a[1], strval($a[2]), (int)$a[3]);
		break;
	default:          // whoami, refresh, logout, set_autorefresh
		$p = $a;
		if ($m === 'set_autorefresh')
			$p[1] = (int)$p[1];
	}
	echo xmlrpc_encode_request($m === 'viewf' ? 'view' : $m, $p, $opts);
	exit(0);
}
if ($mode === 'decode') {
	$body = stream_get_contents(STDIN);
	$v = xmlrpc_decode($body, 'iso-8859-1');
	if (is_array($v) && xmlrpc_is_fault($v)) {
		echo json_encode(array('fault' => $v['faultCode'], 'string' => $v['faultString'])), "\n";
		exit(0);
	}
	if ($v === null && strpos($body, '<methodResponse>') === false) {
		echo json_encode(array('error' => 'no methodResponse')), "\n";
		exit(1);
	}
	echo json_encode(array('value' => $v, 'nulls' => count_nulls($v),
		'type' => gettype($v))), "\n";
	exit(0);
}
fwrite(STDERR, "usage: client.php request METHOD ARGS... | decode\n");
exit(2);
