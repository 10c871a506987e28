/**
 * The HTTP edge of a region: {@link io.meridian.node.http.ApiHandler} parses each request's path
 * once and hands it to the keyspace's engine; {@link io.meridian.node.http.Exchange} is one
 * request and its answer; {@link io.meridian.node.http.Requests} holds the parsing and answer
 * shapes the engines share; errors leave as {@code application/problem+json}.
 */
package io.meridian.node.http;
