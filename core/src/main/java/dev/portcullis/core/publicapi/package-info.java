/** Core's answers to public requests that edge proxies forward (the proxy carries, core decides). */
package dev.portcullis.core.publicapi;
