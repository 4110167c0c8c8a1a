/**
 * What a user registers about a device at enrollment: its name and, for agent devices, the public
 * half of the P-256 device credential generated on the device.
 */
package dev.portcullis.enrollment.device;
