<?php
// SPDX-License-Identifier: GPL-2.0-or-later
//
// e2e_client.php - one XML-RPC call the way a PHP frontend makes it: PHP's
// xmlrpc extension encodes and decodes, php-curl carries it over HTTPS with
// Basic auth, verifying the server against CAFILE.  Used by test-e2e.py.
//
//   php e2e_client.php URL USER PASSWORD CAFILE METHOD [JSON-ARRAY-OF-PARAMS]
//
// Prints one JSON line: {"result": ...}, {"fault": {"faultCode": N,
// "faultString": "..."}} or {"http": CODE, "error": "..."}; exits 0 unless
// its own arguments are wrong.

if ($argc < 6) {
	fwrite(STDERR, "usage: php e2e_client.php URL USER PASSWORD CAFILE METHOD [JSON-PARAMS]\n");
	exit(2);
}
[, $url, $user, $password, $cafile, $method] = $argv;
$params = $argc > 6 ? json_decode($argv[6], true) : [];
if (!is_array($params)) {
	fwrite(STDERR, "e2e_client.php: params must be a JSON array\n");
	exit(2);
}

$request = xmlrpc_encode_request($method, $params, ['encoding' => 'utf-8', 'escaping' => 'markup']);
$ch = curl_init($url);
curl_setopt_array($ch, [
	CURLOPT_POST => true,
	CURLOPT_POSTFIELDS => $request,
	CURLOPT_HTTPHEADER => ['Content-Type: text/xml; charset=utf-8'],
	CURLOPT_RETURNTRANSFER => true,
	CURLOPT_HTTPAUTH => CURLAUTH_BASIC,
	CURLOPT_USERPWD => $user . ':' . $password,
	CURLOPT_CAINFO => $cafile,
	CURLOPT_SSL_VERIFYPEER => true,
	CURLOPT_SSL_VERIFYHOST => 2,
	CURLOPT_TIMEOUT => 90,
]);
$body = curl_exec($ch);
$code = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
if ($body === false || $code != 200) {
	echo json_encode(['http' => $code, 'error' => curl_error($ch)]), "\n";
	exit(0);
}
$value = xmlrpc_decode($body, 'utf-8');
if (is_array($value) && xmlrpc_is_fault($value)) {
	echo json_encode(['fault' => $value]), "\n";
} else {
	echo json_encode(['result' => $value]), "\n";
}
