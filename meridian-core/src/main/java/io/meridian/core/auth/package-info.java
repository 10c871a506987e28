/**
 * Who may do what: access tokens (bearer credentials with scopes), the scopes a request needs,
 * and the decision between them. Pure: tokens are made from randomness the caller passes in and
 * checked against a time the caller passes in; they are stored, hashed, in the control plane
 * ({@link io.meridian.core.failover.ControlState}).
 */
package io.meridian.core.auth;
