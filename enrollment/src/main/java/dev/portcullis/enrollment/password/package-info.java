/**
 * Passwords: Argon2id hashing in PHC string form (parameters travel with each hash, so raising them
 * later keeps old hashes verifying) and the rules a new password must meet, phrased for the user.
 */
package dev.portcullis.enrollment.password;
